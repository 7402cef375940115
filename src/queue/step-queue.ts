import { Queue, Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'

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

export interface RedisStepQueueOptions {
  redis: Redis
  queuePrefix: string
}

/** BullMQ job ids may not contain ":"; ours are `<stepRunId>-<fence>`. */
export function stepJobId(job: Pick<StepJob, 'stepRunId' | 'fence'>): string {
  return `${job.stepRunId}-${job.fence}`
}

/**
 * Step queue on BullMQ with Redis. Connections are duplicated from the application's client so
 * that closing the engine never closes the application's Redis connection, and so the worker's
 * blocking connection gets the `maxRetriesPerRequest: null` BullMQ requires.
 */
export function createRedisStepQueue(options: RedisStepQueueOptions): StepQueue {
  const name = `${options.queuePrefix}-steps`
  let queue: Queue<StepJobData> | undefined
  let queueConnection: Redis | undefined
  // Created on first use, so an engine that only migrates or reads never opens a Redis connection.
  const getQueue = (): Queue<StepJobData> => {
    if (queue) return queue
    queueConnection = options.redis.duplicate({ maxRetriesPerRequest: null })
    queue = new Queue<StepJobData>(name, {
      connection: queueConnection,
      prefix: options.queuePrefix,
      defaultJobOptions: {
        // Completed and failed jobs are removed so a reconciler can re-add the same job id later.
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
      },
    })
    return queue
  }
  let worker: Worker<StepJobData> | undefined
  let workerConnection: Redis | undefined

  return {
    async enqueue(jobs) {
      if (jobs.length === 0) return
      await getQueue().addBulk(
        jobs.map((job) => ({
          name: 'step',
          data: { stepRunId: job.stepRunId, runId: job.runId, tenantId: job.tenantId },
          opts: { jobId: stepJobId(job), ...(job.delayMs && job.delayMs > 0 ? { delay: Math.ceil(job.delayMs) } : {}) },
        })),
      )
    },
    async remove(jobs) {
      await Promise.all(jobs.map((job) => getQueue().remove(stepJobId(job)).catch(() => 0)))
    },
    async startWorker(processor, concurrency) {
      if (worker) return
      workerConnection = options.redis.duplicate({ maxRetriesPerRequest: null })
      worker = new Worker<StepJobData>(name, (job: Job<StepJobData>) => processor(job.data), {
        connection: workerConnection,
        prefix: options.queuePrefix,
        concurrency,
      })
      // A Worker without an error listener logs through console; the engine reports failures itself.
      worker.on('error', () => undefined)
      await worker.waitUntilReady()
    },
    async stopWorker(force) {
      const w = worker
      worker = undefined
      if (w) await w.close(force)
      if (workerConnection) {
        await workerConnection.quit().catch(() => undefined)
        workerConnection = undefined
      }
    },
    async close() {
      await this.stopWorker(true)
      const q = queue
      const connection = queueConnection
      queue = undefined
      queueConnection = undefined
      if (q) await q.close()
      if (connection) await connection.quit().catch(() => undefined)
    },
  }
}
