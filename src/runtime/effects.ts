import type { RunRecord, StepRecord } from '../store/index.js'

/**
 * What a committed transition asks for afterwards: jobs to add or remove and hooks to fire.
 * Collected inside the transaction and applied only after COMMIT, so a rolled-back transition
 * never enqueues a job or fires a hook.
 */
export interface Effects {
  enqueue: StepRecord[]
  removeJobs: StepRecord[]
  finishedSteps: StepRecord[]
  endedRun?: RunRecord
}

export function noEffects(): Effects {
  return { enqueue: [], removeJobs: [], finishedSteps: [] }
}
