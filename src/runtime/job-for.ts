import type { StepJob } from '../queue/index.js'
import type { StepRecord } from '../store/index.js'

/** The queue job that delivers a step row: due now, or when a scheduled step falls due. */
export function jobFor(step: StepRecord): StepJob {
  const delayMs = step.status === 'scheduled' && step.scheduledFor ? Math.max(0, step.scheduledFor.getTime() - Date.now()) : 0
  return { stepRunId: step.id, runId: step.runId, tenantId: step.tenantId, fence: step.fence, delayMs }
}
