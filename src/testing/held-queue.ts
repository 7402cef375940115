import type { StepQueue } from '../queue/index.js'

/** Far enough away that BullMQ never delivers a held job by itself during a test. */
const HELD_MS = 10 * 365 * 86_400_000

/**
 * The step queue with delayed jobs held: a job due later (a delay, a retry backoff, a wait's
 * timeout) is added to BullMQ as a delayed job that the real clock never reaches, and the kit
 * promotes it when the virtual clock reaches its step's due time in Postgres. Jobs due now go
 * through unchanged.
 */
export function holdDelayedJobs(queue: StepQueue): StepQueue {
  return {
    ...queue,
    enqueue: (jobs, options) => queue.enqueue(jobs.map((job) => (job.delayMs && job.delayMs > 0 ? { ...job, delayMs: HELD_MS } : job)), options),
    close: () => queue.close(),
    stopWorker: (force) => queue.stopWorker(force),
  }
}
