import type { WorkflowRun, WorkflowStatus } from '../../index.js'
import { CONFIG_FLAG, JSON_FLAG, stringFlag, type CommandSpec } from '../command.js'
import { CliUsageError } from '../errors.js'
import { between, formatTime } from '../format.js'
import { loadConfig } from '../load-config.js'
import { table } from '../output.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
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
    ...JSON_FLAG,
    ...CONFIG_FLAG,
  },
  examples: ['pulse runs', 'pulse runs --tenant workspace_1 --status failed', 'pulse runs --workflow welcome-new-user --limit 10 --json'],
  async run({ flags, cwd, output }) {
    const status = stringFlag(flags, 'status')
    if (status !== undefined && !STATUSES.includes(status as WorkflowStatus)) {
      throw new CliUsageError(`--status must be one of ${STATUSES.join(', ')}; got "${status}"`, 'runs')
    }
    const limit = parseLimit(stringFlag(flags, 'limit'))
    const tenantId = stringFlag(flags, 'tenant')
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    if (tenantId !== undefined) await checkTenant(loaded, tenantId)
    const runs = await withEngine(
      loaded,
      ({ engine }) => engine.listRuns({ tenantId, status: status as WorkflowStatus | undefined, workflowKey: stringFlag(flags, 'workflow'), limit }),
      { readOnly: true, onOpen: printWhere(output, flags) },
    )
    if (flags.json === true) {
      output.json(runs)
      return 0
    }
    if (runs.length === 0) {
      output.out('no runs match')
      return 0
    }
    const rows = runs.map((run) => [
      run.id,
      run.definitionSnapshot.key ?? run.definitionSnapshot.name,
      run.tenantId,
      output.status(run.status),
      `${Math.min(run.currentStepIndex + 1, run.definitionSnapshot.steps.length)}/${run.definitionSnapshot.steps.length}`,
      formatTime(run.createdAt),
      duration(run),
      run.isReplay ? 'replay' : '',
    ])
    output.out(table(['RUN', 'WORKFLOW', 'TENANT', 'STATUS', 'STEP', 'CREATED (UTC)', 'DURATION', ''], rows, output.bold))
    return 0
  },
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 50
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new CliUsageError(`--limit must be a whole number from 1 to 1000; got "${text}"`, 'runs')
  return n
}

/** How long the run took, or has taken so far. */
export function duration(run: WorkflowRun): string {
  const end = run.completedAt ?? run.failedAt ?? run.canceledAt
  return between(run.startedAt ?? run.createdAt, end ?? (run.status === 'pending' ? undefined : new Date()))
}
