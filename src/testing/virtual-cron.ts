import { nextCronTime } from '../definition/cron.js'
import type { CronQueue, CronSchedule, CronTick } from '../queue/index.js'

/** A cron queue whose ticks fall due on the test's clock. */
export interface VirtualCron extends CronQueue {
  /** When the earliest schedule next ticks, in ms since the epoch. */
  nextTickAt(): number | undefined
  /** Fires, in time order, every tick due at or before `now`; resolves with how many it fired. */
  fireDue(now: number): Promise<number>
}

/**
 * Stands in for the BullMQ job schedulers, which tick on the real clock: the engine still
 * upserts and removes schedules as it always does (start(), enable, disable, sync), and each
 * tick goes through the engine's own tick handler with the tick's exact time.
 */
export function createVirtualCron(clock: () => number): VirtualCron {
  const schedules = new Map<string, CronSchedule & { after: number }>()
  let onTick: ((tick: CronTick) => Promise<void>) | undefined
  const next = (s: CronSchedule & { after: number }) => nextCronTime(s.pattern, new Date(s.after), s.timezone).getTime()

  return {
    async upsert(schedule) {
      const existing = schedules.get(schedule.definitionId)
      const same = existing && existing.pattern === schedule.pattern && existing.timezone === schedule.timezone
      schedules.set(schedule.definitionId, { ...schedule, after: same ? existing.after : clock() })
    },
    async remove(definitionId) {
      schedules.delete(definitionId)
    },
    async list() {
      return [...schedules.keys()]
    },
    async startWorker(handler) {
      onTick = handler
    },
    async stopWorker() {
      onTick = undefined
    },
    async close() {
      onTick = undefined
      schedules.clear()
    },
    nextTickAt() {
      let earliest: number | undefined
      for (const s of schedules.values()) {
        const at = next(s)
        if (earliest === undefined || at < earliest) earliest = at
      }
      return earliest
    },
    async fireDue(now) {
      let fired = 0
      for (;;) {
        let due: { s: CronSchedule & { after: number }; at: number } | undefined
        for (const s of schedules.values()) {
          const at = next(s)
          if (at <= now && (!due || at < due.at)) due = { s, at }
        }
        if (!due || !onTick) return fired
        due.s.after = due.at
        await onTick({ definitionId: due.s.definitionId, tenantId: due.s.tenantId, scheduledAt: new Date(due.at) })
        fired += 1
      }
    },
  }
}
