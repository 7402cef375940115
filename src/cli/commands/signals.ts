import { describeSkip } from '../describe-flow.js'
import { CONFIG_FLAG, JSON_FLAG, stringFlag, type CommandSpec } from '../command.js'
import { formatTime } from '../format.js'
import { signalJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { table } from '../output.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { checkTenant } from '../tenants.js'
import { parseLimit } from './runs.js'

export const signalsCommand: CommandSpec = {
  name: 'signals',
  summary: 'Lists stored signals, newest first, with the runs each one started.',
  details: 'A signal that started no run matched no enabled workflow of its tenant when it was emitted: check its type, environment and resource type against the workflows ("pulse workflows").',
  flags: {
    tenant: { type: 'string', short: 't', value: '<id>', description: 'only signals of this tenant' },
    type: { type: 'string', value: '<type>', description: 'only signals of this type, e.g. user.signed_up' },
    limit: { type: 'string', short: 'n', value: '<n>', description: 'at most this many signals (default 50, max 1000)' },
    ...JSON_FLAG,
    ...CONFIG_FLAG,
  },
  examples: ['pulse signals', 'pulse signals --tenant workspace_1 --type user.signed_up --limit 10', 'pulse signals --json | jq ".[] | select(.runs == [])"'],
  async run({ flags, cwd, output }) {
    const limit = parseLimit(stringFlag(flags, 'limit'), 'signals')
    const tenantId = stringFlag(flags, 'tenant')
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    if (tenantId !== undefined) await checkTenant(loaded, tenantId)
    const signals = await withEngine(loaded, async ({ engine }) => {
      const found = await engine.listSignals({ tenantId, type: stringFlag(flags, 'type'), limit })
      return Promise.all(
        found.map(async (signal) => {
          const runs = await engine.getRunsByTrigger(signal.id)
          // Only a signal that started no run can have been skipped by every workflow it matched.
          const skipped = runs.length === 0 ? ((await engine.getTrigger(signal.id))?.skipped ?? []) : []
          return { signal, runs, skipped }
        }),
      )
    }, { readOnly: true, onOpen: printWhere(output, flags) })
    if (flags.json === true) {
      output.json(signals.map(({ signal, runs, skipped }) => signalJson(signal, runs, skipped)))
      return 0
    }
    if (signals.length === 0) {
      output.out('no signals match')
      return 0
    }
    // One row per run; a signal with several runs continues on rows with its columns left empty.
    const rows = signals.flatMap(({ signal, runs, skipped }) => {
      const head = [signal.id, signal.type, signal.tenantId, signal.resourceId ?? '', formatTime(signal.createdAt)]
      if (skipped.length > 0) return skipped.map((skip, i) => [...(i === 0 ? head : head.map(() => '')), describeSkip(skip, output.bold)])
      if (runs.length === 0) return [[...head, output.dim('no run started')]]
      return runs.map((run, i) => [
        ...(i === 0 ? head : head.map(() => '')),
        `${run.id} ${run.definitionSnapshot.key ?? run.definitionSnapshot.name} ${output.status(run.status)}${run.isReplay ? ' (replay)' : ''}`,
      ])
    })
    output.out(table(['SIGNAL', 'TYPE', 'TENANT', 'RESOURCE', 'CREATED (UTC)', 'RUNS'], rows, output.bold))
    return 0
  },
}
