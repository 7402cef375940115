import type { Store } from '../store/index.js'
import { VerifyStore } from '../store/verify.js'
import type { WorkflowStep } from '../types.js'
import { stepAt } from './step-path.js'

/** One inconsistency `verify()` found. */
export interface ConsistencyProblem {
  /**
   * What is wrong: `active-run-without-step`, `ended-run-with-unfinished-step`, `expired-lease`,
   * `overdue-step`, `snapshot-missing`, `step-outside-definition`, `parallel-count-mismatch`,
   * `parallel-not-settled`, `tenant-mismatch`, `completed-run-with-failed-step`, `status-timestamp`.
   */
  kind: string
  runId: string
  stepRunId?: string
  detail: string
}

export interface VerifyReport {
  ok: boolean
  problems: ConsistencyProblem[]
  /** True when `limit` problems were found and the search stopped. */
  truncated: boolean
}

export interface VerifyOptions {
  /** Only this tenant's runs. */
  tenantId?: string
  /**
   * How long past due a step, or past its lease a running step, may be before it counts as
   * stuck. Default 60 s: two reconciler passes at the default interval.
   */
  graceMs?: number
  /** Stop after this many problems. Default 1000. */
  limit?: number
}

/**
 * Checks that the tables describe runs the engine can finish: every active run has a step that
 * will move it, ended runs have no unfinished steps, no lease or due time is long past, parallel
 * steps count their finished branches right, every step exists in its run's snapshot, and rows
 * agree on their tenant. Read-only; safe to run against a live engine (with a grace period that
 * covers normal queue latency).
 */
export async function verifyConsistency(store: Store, options: VerifyOptions = {}): Promise<VerifyReport> {
  const limit = options.limit ?? 1000
  const verify = new VerifyStore(store.pool, store.tables)
  const problems: ConsistencyProblem[] = await verify.findProblems({ graceMs: options.graceMs ?? 60_000, tenantId: options.tenantId, limit })
  const brokenSnapshots = new Set(problems.filter((p) => p.kind === 'snapshot-missing').map((p) => p.runId))
  for (const p of await verify.parallelSteps({ tenantId: options.tenantId, limit: 1_000_000 })) {
    if (problems.length >= limit) break
    if (brokenSnapshots.has(p.runId)) continue
    let def: WorkflowStep
    try {
      def = stepAt(p.snapshotSteps as WorkflowStep[], p.path)
    } catch (err) {
      problems.push({ kind: 'step-outside-definition', runId: p.runId, stepRunId: p.id, detail: (err as Error).message })
      continue
    }
    const defined = def.branches?.length ?? 0
    const finished = p.branches.filter((b) => b.finished).length
    if (p.status === 'completed' && (p.branchesDone !== defined || finished !== defined)) {
      problems.push({
        kind: 'parallel-count-mismatch',
        runId: p.runId,
        stepRunId: p.id,
        detail: `parallel step "${def.name}" completed with branches_done = ${p.branchesDone}, ${finished} finished branches, ${defined} defined`,
      })
    } else if (p.status === 'running' && p.branchesDone !== finished) {
      problems.push({
        kind: 'parallel-count-mismatch',
        runId: p.runId,
        stepRunId: p.id,
        detail: `parallel step "${def.name}" counts ${p.branchesDone} finished branches but ${finished} have finished`,
      })
    } else if (p.status === 'running' && p.branchesDone >= defined) {
      problems.push({
        kind: 'parallel-not-settled',
        runId: p.runId,
        stepRunId: p.id,
        detail: `parallel step "${def.name}" has all ${defined} branches done but is still running`,
      })
    }
  }
  const truncated = problems.length >= limit
  return { ok: problems.length === 0, problems: problems.slice(0, limit), truncated }
}
