import type { StepJobData } from '../queue/index.js'
import { createBatcher } from '../store/group-commit.js'
import type { Claim, ClaimMiss, Store } from '../store/index.js'

/** Claims the steps that jobs deliver. */
export interface StepClaimer {
  /** The claim, or why there is none: not due yet (and when), or nothing left to do. */
  claim(job: StepJobData): Promise<Claim | ClaimMiss>
}

/**
 * Claims arriving at about the same time share one statement (group commit); a lone claim goes at
 * once. The claim is a compare-and-set, so a job delivered twice claims its step once.
 */
export function createStepClaimer(deps: { store: Store; leaseMs: number }): StepClaimer {
  const batches = createBatcher(
    (jobs: StepJobData[]) =>
      deps.store.steps.claimMany(
        jobs.map((j) => ({ stepId: j.stepRunId, runId: j.runId })),
        deps.leaseMs,
      ),
    deps.store.groupCommit,
  )
  return {
    async claim(job) {
      return (await batches.submit(job)) ?? (await deps.store.steps.whyNotClaimed(job.stepRunId))
    },
  }
}
