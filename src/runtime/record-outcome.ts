import { createBatcher } from '../store/group-commit.js'
import { applyPlan, continueRequest, isFastPlan, type Claim, type ContinueRequest, type Plan, type RunRecord, type Store } from '../store/index.js'
import type { WorkflowStatus } from '../types.js'
import type { Telemetry } from '../telemetry/index.js'
import type { HookFirer } from './hooks.js'
import { planStep, type StepOutcome } from './run-state.js'
import type { TransitionCommitter } from './transition-commit.js'

/** Records what running a step came to. */
export interface OutcomeRecorder {
  /** Plans and commits the outcome; returns the next step when this worker already claimed it. */
  record(claim: Claim, outcome: StepOutcome): Promise<Claim | null>
}

export interface OutcomeRecorderDeps {
  store: Store
  hooks: HookFirer
  committer: TransitionCommitter
  leaseMs: number
  /** True once shutdown began: the worker then claims no next step. */
  isDraining: () => boolean
  /** See ExecutorDeps.onRunEnded. */
  onRunEnded?: (run: RunRecord) => void
  telemetry: Telemetry
}

/**
 * The planner decides what an outcome does to the run; a plan of the common shape (finish, then
 * claim the next action or condition for this worker, or complete the run) runs as one
 * group-committed statement, anything else in a transaction with the run locked. When the fast
 * statement finds the claim lost or the run moved on (canceled, failed by a sibling branch), the
 * transaction plans again from the run as it is now.
 */
export function createOutcomeRecorder(deps: OutcomeRecorderDeps): OutcomeRecorder {
  const { store, hooks, committer } = deps
  // Steps finishing at about the same time share one commit; two steps of one run never do.
  const fast = createBatcher((requests: ContinueRequest[]) => store.steps.finishAndContinueMany(requests), {
    ...store.groupCommit,
    key: (request) => request.step.runId,
  })

  const planFor = (claim: Claim, outcome: StepOutcome, runStatus: WorkflowStatus, continueHere: boolean): Plan =>
    planStep({
      steps: claim.run.definitionSnapshot.steps,
      step: claim.step,
      outcome,
      run: { status: runStatus, isDryRun: claim.run.isDryRun },
      continueHere,
    })

  return {
    async record(claim, outcome) {
      const { run, step } = claim
      const plan = planFor(claim, outcome, run.status, !deps.isDraining())
      if (plan.step.kind === 'none') return null
      if (isFastPlan(plan)) {
        const res = await fast.submit(continueRequest(plan, step, run, deps.leaseMs))
        if (res.done && res.run) {
          if (plan.run?.to === 'completed') deps.telemetry.runEnded(res.run)
          if (hooks.enabled) hooks.finished(res.run, res.done, plan.run?.to === 'completed')
          if (plan.run && deps.onRunEnded) deps.onRunEnded(res.run)
          return res.next ? { step: res.next, run: res.run, trigger: claim.trigger } : null
        }
      }
      await committer.commit(run.id, (tx, locked, fx) => applyPlan(tx, locked, step, planFor(claim, outcome, locked.status, false), fx))
      return null
    },
  }
}
