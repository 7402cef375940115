import type { Job, Queue, Worker } from 'bullmq'
import { closeOpened, openQueue, openWorker, type BackendSource } from './backend.js'

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

export function createCronQueue(options: { backend: BackendSource; queuePrefix: string }): CronQueue {
  const name = `${options.queuePrefix}-cron`
  type TickData = { definitionId: string; tenantId: string }
  let queue: Promise<{ queue: Queue<TickData>; cleanup: () => Promise<void> }> | undefined
  let worker: { worker: Worker<TickData>; cleanup: () => Promise<void> } | undefined
  const getQueue = async () => {
    queue ??= options.backend().then((backend) =>
      openQueue<TickData>(backend, name, options.queuePrefix, {
        defaultJobOptions: { removeOnComplete: true, removeOnFail: 100, attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
      }),
    )
    return (await queue).queue
  }

  return {
    async upsert(schedule) {
      try {
        await (await getQueue()).upsertJobScheduler(
          schedulerId(schedule.definitionId),
          { pattern: schedule.pattern, ...(schedule.timezone ? { tz: schedule.timezone } : {}) },
          { name: 'tick', data: { definitionId: schedule.definitionId, tenantId: schedule.tenantId } },
        )
      } catch (err) {
        // Several engines starting together upsert the same scheduler; the loser finds the next
        // tick's job already created by the winner, which is exactly the state it wanted.
        if (!/job ID already exists/i.test((err as Error).message)) throw err
      }
    },
    async remove(definitionId) {
      await (await getQueue()).removeJobScheduler(schedulerId(definitionId))
    },
    async list() {
      const schedulers = await (await getQueue()).getJobSchedulers(0, -1)
      return schedulers.map((s) => String(s.key ?? s.id ?? '')).filter((id) => id.startsWith('cron-')).map((id) => id.slice(5))
    },
    async startWorker(onTick) {
      if (worker) return
      worker = await openWorker<TickData>(
        await options.backend(),
        name,
        options.queuePrefix,
        (job) => onTick({ definitionId: job.data.definitionId, tenantId: job.data.tenantId, scheduledAt: tickTime(job) }),
        { concurrency: 5 },
      )
      await worker.worker.waitUntilReady()
    },
    async stopWorker() {
      const w = worker
      worker = undefined
      if (!w) return
      await w.worker.close()
      await w.cleanup()
    },
    async close() {
      await this.stopWorker()
      const opening = queue
      queue = undefined
      await closeOpened(opening)
    },
  }
}

/** Scheduler job ids end with the tick's time in ms (`repeat:<scheduler>:<millis>`). */
function tickTime(job: Job): Date {
  const millis = Number(String(job.id ?? '').split(':').pop())
  if (Number.isFinite(millis) && millis > 0) return new Date(millis)
  return new Date(job.timestamp + (job.opts.delay ?? 0))
}
