import { CONFIG_FLAG, JSON_FLAG, stringFlag, type CommandSpec } from '../command.js'
import { runJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { runNotFound } from './run-errors.js'

export const cancelCommand: CommandSpec = {
  name: 'cancel',
  summary: 'Cancels a pending, running or waiting run: its remaining steps are skipped and its queued jobs removed.',
  args: ['runId'],
  flags: { reason: { type: 'string', short: 'r', value: '<text>', description: 'why, recorded on the run' }, ...JSON_FLAG, ...CONFIG_FLAG },
  examples: ['pulse cancel run_01m96b2c7x4k9e3qv8d5rj2tn6', 'pulse cancel run_01m96b2c7x4k9e3qv8d5rj2tn6 --reason "customer churned"', 'pulse cancel run_01m96b2c7x4k9e3qv8d5rj2tn6 --json | jq .status'],
  async run({ flags, positionals, cwd, output }) {
    const runId = positionals[0]!
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    const run = await withEngine(loaded, ({ engine }) => runNotFound(runId, engine.cancelRun(runId, stringFlag(flags, 'reason'))), { readOnly: true, onOpen: printWhere(output, flags) })
    if (flags.json === true) {
      output.json(runJson(run))
      return 0
    }
    output.out(`${output.green('canceled')} ${output.bold(run.id)} (${run.definitionSnapshot.key ?? run.definitionSnapshot.name})`)
    return 0
  },
}
