import { Queue, Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'

export interface CronTick {
  definitionId: string
  tenantId: string
  /** The moment this tick was scheduled for (not when it was delivered). */
  scheduledAt: Date
}

export interface CronSchedule {
  definitionId: string
  tenantId: string
  pattern: string
  timezone?: string
}

/**
 * BullMQ job schedulers for cron workflows, one per definition. A scheduler id is derived from
 * the definition id, so several processes upserting the same schedule at once still leave one
 * scheduler, which produces one job per tick.
 */
export interface CronQueue {
  upsert(schedule: CronSchedule): Promise<void>
  remove(definitionId: string): Promise<void>
  /** Ids of the definitions that currently have a scheduler. */
  list(): Promise<string[]>
  startWorker(onTick: (tick: CronTick) => Promise<void>): Promise<void>
  stopWorker(): Promise<void>
  close(): Promise<void>
}

const schedulerId = (definitionId: string) => `cron-${definitionId}`

export function createRedisCronQueue(options: { redis: Redis; queuePrefix: string }): CronQueue {
  const name = `${options.queuePrefix}-cron`
  let queue: Queue<{ definitionId: string; tenantId: string }> | undefined
  let connection: Redis | undefined
  let worker: Worker | undefined
  let workerConnection: Redis | undefined
  const getQueue = () => {
    if (queue) return queue
    connection = options.redis.duplicate({ maxRetriesPerRequest: null })
    queue = new Queue(name, {
      connection,
      prefix: options.queuePrefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 100, attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
    })
    return queue
  }

  return {
    async upsert(schedule) {
      await getQueue().upsertJobScheduler(
        schedulerId(schedule.definitionId),
        { pattern: schedule.pattern, ...(schedule.timezone ? { tz: schedule.timezone } : {}) },
        { name: 'tick', data: { definitionId: schedule.definitionId, tenantId: schedule.tenantId } },
      )
    },
    async remove(definitionId) {
      await getQueue().removeJobScheduler(schedulerId(definitionId))
    },
    async list() {
      const schedulers = await getQueue().getJobSchedulers(0, -1)
      return schedulers.map((s) => (s.key ?? s.id ?? '').toString()).filter((id) => id.startsWith('cron-')).map((id) => id.slice(5))
    },
    async startWorker(onTick) {
      if (worker) return
      workerConnection = options.redis.duplicate({ maxRetriesPerRequest: null })
      worker = new Worker(
        name,
        async (job: Job<{ definitionId: string; tenantId: string }>) => {
          await onTick({ definitionId: job.data.definitionId, tenantId: job.data.tenantId, scheduledAt: tickTime(job) })
        },
        { connection: workerConnection, prefix: options.queuePrefix, concurrency: 5 },
      )
      worker.on('error', () => undefined)
      await worker.waitUntilReady()
    },
    async stopWorker() {
      const w = worker
      worker = undefined
      if (w) await w.close()
      if (workerConnection) await workerConnection.quit().catch(() => undefined)
      workerConnection = undefined
    },
    async close() {
      await this.stopWorker()
      const q = queue
      queue = undefined
      if (q) await q.close()
      if (connection) await connection.quit().catch(() => undefined)
      connection = undefined
    },
  }
}

/** Scheduler job ids end with the tick's time in ms (`repeat:<scheduler>:<millis>`). */
function tickTime(job: Job): Date {
  const millis = Number(String(job.id ?? '').split(':').pop())
  if (Number.isFinite(millis) && millis > 0) return new Date(millis)
  return new Date(job.timestamp + (job.opts.delay ?? 0))
}
