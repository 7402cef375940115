import { describeHold } from '../describe-flow.js'
import type { Engine, WorkflowRun, WorkflowStatus } from '../../index.js'
import { CONFIG_FLAG, JSON_FLAG, stringFlag, type CommandSpec } from '../command.js'
import { CliUsageError } from '../errors.js'
import { between, formatTime } from '../format.js'
import { runJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { table, type Output } from '../output.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { listenForStop } from '../stop-signal.js'
import { checkTenant } from '../tenants.js'

const STATUSES: WorkflowStatus[] = ['pending', 'running', 'waiting', 'completed', 'failed', 'canceled']

export const runsCommand: CommandSpec = {
  name: 'runs',
  summary: 'Lists workflow runs, newest first.',
  flags: {
    tenant: { type: 'string', short: 't', value: '<id>', description: 'only runs of this tenant' },
    status: { type: 'string', short: 's', value: '<status>', description: `only runs in this status: ${STATUSES.join(', ')}` },
    workflow: { type: 'string', short: 'w', value: '<key>', description: 'only runs of this workflow key' },
    limit: { type: 'string', short: 'n', value: '<n>', description: 'at most this many runs (default 50, max 1000)' },
    watch: { type: 'boolean', description: 're-list every second until Ctrl-C (with --json: one JSON line per refresh)' },
    ...JSON_FLAG,
    ...CONFIG_FLAG,
  },
  examples: ['pulse runs', 'pulse runs --tenant workspace_1 --status failed', 'pulse runs --workflow welcome-new-user --limit 10 --json', 'pulse runs --watch --tenant workspace_1'],
  async run({ flags, cwd, output }) {
    const status = stringFlag(flags, 'status')
    if (status !== undefined && !STATUSES.includes(status as WorkflowStatus)) {
      throw new CliUsageError(`--status must be one of ${STATUSES.join(', ')}; got "${status}"`, 'runs')
    }
    const limit = parseLimit(stringFlag(flags, 'limit'), 'runs')
    const tenantId = stringFlag(flags, 'tenant')
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    if (tenantId !== undefined) await checkTenant(loaded, tenantId)
    const list = (engine: Engine) =>
      engine.listRuns({ tenantId, status: status as WorkflowStatus | undefined, workflowKey: stringFlag(flags, 'workflow'), limit })
    if (flags.watch === true) return withEngine(loaded, ({ engine }) => watchRuns(output, () => list(engine), flags.json === true), { readOnly: true })
    const runs = await withEngine(loaded, ({ engine }) => list(engine), { readOnly: true, onOpen: printWhere(output, flags) })
    if (flags.json === true) {
      output.json(runs.map(runJson))
      return 0
    }
    output.out(runsTable(output, runs))
    return 0
  },
}

/** How often `--watch` lists again. */
const WATCH_INTERVAL_MS = 1000

/**
 * Lists again every second until Ctrl-C. A terminal gets the table redrawn in place; elsewhere
 * (a log, a pipe) a new table is printed only when it changed.
 */
async function watchRuns(output: Output, list: () => Promise<WorkflowRun[]>, json: boolean): Promise<number> {
  const stop = listenForStop()
  const redraw = process.stdout.isTTY === true && !json
  let last = ''
  try {
    while (!stop.isStopped()) {
      const runs = await list()
      const text = json ? JSON.stringify(runs.map(runJson)) : runsTable(output, runs)
      if (redraw) {
        process.stdout.write('\u001b[H\u001b[2J')
        output.out(output.dim(`${new Date().toTimeString().slice(0, 8)}  refreshing every ${WATCH_INTERVAL_MS / 1000}s; Ctrl-C to stop`))
        output.out(text)
      } else if (text !== last) {
        if (!json) output.out(output.dim(`--- ${new Date().toTimeString().slice(0, 8)}`))
        output.out(text)
      }
      last = text
      await stop.sleep(WATCH_INTERVAL_MS)
    }
  } finally {
    stop.dispose()
  }
  return 0
}

function runsTable(output: Output, runs: WorkflowRun[]): string {
  if (runs.length === 0) return 'no runs match'
  const rows = runs.map((run) => [
    run.id,
    run.definitionSnapshot.key ?? run.definitionSnapshot.name,
    run.tenantId,
    output.status(run.status),
    `${Math.min(run.currentStepIndex + 1, run.definitionSnapshot.steps.length)}/${run.definitionSnapshot.steps.length}`,
    formatTime(run.createdAt),
    duration(run),
    [run.isReplay ? 'replay' : '', run.heldBy ? describeHold(run.heldBy) : ''].filter(Boolean).join(', '),
  ])
  return table(['RUN', 'WORKFLOW', 'TENANT', 'STATUS', 'STEP', 'CREATED (UTC)', 'DURATION', 'NOTE'], rows, output.bold)
}

/** `--limit` of a listing command: 1 to 1000, default 50. */
export function parseLimit(text: string | undefined, command: string): number {
  if (text === undefined) return 50
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new CliUsageError(`--limit must be a whole number from 1 to 1000; got "${text}"`, command)
  return n
}

/** How long the run took, or has taken so far. */
export function duration(run: WorkflowRun): string {
  const end = run.completedAt ?? run.failedAt ?? run.canceledAt
  return between(run.startedAt ?? run.createdAt, end ?? (run.status === 'pending' ? undefined : new Date()))
}
