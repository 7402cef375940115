import type { StepStatus, WorkflowStatus } from '../types.js'

// Statuses go into statement text as literals, not parameters: Postgres matches the partial
// indexes (`WHERE status = 'running'`, `WHERE status IN ('pending', 'scheduled')`) only against
// literals, and a prepared statement's generic plan must be able to use them.

const KNOWN: ReadonlySet<string> = new Set<WorkflowStatus | StepStatus>(['pending', 'scheduled', 'running', 'waiting', 'completed', 'failed', 'canceled', 'skipped'])

/** A run or step status as an SQL literal; anything not in the fixed set of statuses is refused. */
export function statusLiteral(status: WorkflowStatus | StepStatus): string {
  if (!KNOWN.has(status)) throw new Error(`"${String(status)}" is not a run or step status; a statement can only be built from the statuses in src/runtime/run-state.ts`)
  return `'${status}'`
}

/** Statuses as the list of an SQL `IN (...)`; an empty list is refused, since it would match nothing without saying so. */
export function statusList(statuses: readonly (WorkflowStatus | StepStatus)[]): string {
  if (statuses.length === 0) throw new Error('a status guard needs at least one status; check the move in src/runtime/run-state.ts')
  return statuses.map(statusLiteral).join(', ')
}
