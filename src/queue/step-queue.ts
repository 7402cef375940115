import type { Queue, Worker } from 'bullmq'
import { closeOpened, openQueue, openWorker, type BackendSource } from './backend.js'

/** What a step job carries: enough to claim the step; everything else is read from Postgres. */
export interface StepJobData {
  stepRunId: string
  runId: string
  tenantId: string
}

export interface StepJob extends StepJobData {
  /** The step's fence when the job is made; part of the job id so one claim gets one job. */
  fence: number
  delayMs?: number
}

/** Delivers step jobs to workers. Postgres holds the state; this only says "look at step X now". */
export interface StepQueue {
  enqueue(jobs: StepJob[]): Promise<void>
  /** Removes queued jobs that have not started (best effort: a job already taken is left to its claim CAS). */
  remove(jobs: Pick<StepJob, 'stepRunId' | 'fence'>[]): Promise<void>
  startWorker(processor: (job: StepJobData) => Promise<void>, concurrency: number): Promise<void>
  /** Stops fetching new jobs; waits for active ones unless `force`. */
  stopWorker(force: boolean): Promise<void>
  close(): Promise<void>
}

/** BullMQ job ids may not contain ":"; ours are `<stepRunId>-<fence>`. */
export function stepJobId(job: Pick<StepJob, 'stepRunId' | 'fence'>): string {
  return `${job.stepRunId}-${job.fence}`
}

/**
 * The step queue on BullMQ, on whichever backend the engine was configured with. The queue is
 * opened on first use, so an engine that only migrates or reads opens no queue connection.
 */
export function createStepQueue(options: { backend: BackendSource; queuePrefix: string }): StepQueue {
  const name = `${options.queuePrefix}-steps`
  let queue: Promise<{ queue: Queue<StepJobData>; cleanup: () => Promise<void> }> | undefined
  let worker: { worker: Worker<StepJobData>; cleanup: () => Promise<void> } | undefined

  const getQueue = async () => {
    queue ??= options.backend().then((backend) =>
      openQueue<StepJobData>(backend, name, options.queuePrefix, {
        defaultJobOptions: {
          // Finished jobs are removed so the reconciler can add the same job id again later.
          removeOnComplete: true,
          removeOnFail: true,
          attempts: 5,
          backoff: { type: 'exponential', delay: 500 },
        },
      }),
    )
    return (await queue).queue
  }

  let pending: StepJob[] = []
  let flushing: Promise<void> | undefined
  const addBulk = async (jobs: StepJob[]) => {
    const q = await getQueue()
    await q.addBulk(
      jobs.map((job) => ({
        name: 'step',
        data: { stepRunId: job.stepRunId, runId: job.runId, tenantId: job.tenantId },
        opts: { jobId: stepJobId(job), ...(job.delayMs && job.delayMs > 0 ? { delay: Math.ceil(job.delayMs) } : {}) },
      })),
    )
  }

  return {
    async enqueue(jobs) {
      if (jobs.length === 0) return
      // Jobs enqueued by concurrent callers in the same turn of the event loop share one addBulk.
      pending.push(...jobs)
      flushing ??= new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          const batch = pending
          pending = []
          flushing = undefined
          addBulk(batch).then(resolve, reject)
        })
      })
      await flushing
    },
    async remove(jobs) {
      const q = await getQueue()
      await Promise.all(jobs.map((job) => q.remove(stepJobId(job)).catch(() => 0)))
    },
    async startWorker(processor, concurrency) {
      if (worker) return
      worker = openWorker<StepJobData>(await options.backend(), name, options.queuePrefix, (job) => processor(job.data), { concurrency })
      await worker.worker.waitUntilReady()
    },
    async stopWorker(force) {
      const w = worker
      worker = undefined
      if (!w) return
      await w.worker.close(force)
      await w.cleanup()
    },
    async close() {
      await this.stopWorker(true)
      const opening = queue
      queue = undefined
      await closeOpened(opening)
    },
  }
}
