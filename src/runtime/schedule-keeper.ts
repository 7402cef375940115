import type { CronQueue } from '../queue/index.js'
import type { Store } from '../store/index.js'
import type { EngineLogger } from '../types.js'
import { applySchedule } from './cron.js'

export interface ScheduleKeeperOptions {
  store: Store
  cron: CronQueue
  logger: EngineLogger
  intervalMs: number
}

/**
 * Postgres says which workflows have a cron schedule; the queue only holds the schedulers. A
 * flushed or restarted Redis loses them, and `start()` restores them only once, so every
 * interval this compares the two and re-creates schedulers that went missing and removes ones
 * nobody wants. A scheduler that a concurrent disable removed may come back for one interval;
 * its ticks fire nothing (fireTick checks the definition) and the next pass removes it.
 */
export function startScheduleKeeper(options: ScheduleKeeperOptions): { stop(): void; runOnce(): Promise<{ restored: number; removed: number }> } {
  let running = false
  const runOnce = async () => {
    if (running) return { restored: 0, removed: 0 }
    running = true
    try {
      const wanted = await options.store.definitions.listScheduled()
      const present = new Set(await options.cron.list())
      let restored = 0
      let removed = 0
      for (const def of wanted) {
        if (present.has(def.id)) continue
        await applySchedule(options.cron, def)
        restored += 1
      }
      const wantedIds = new Set(wanted.map((d) => d.id))
      for (const id of present) {
        if (wantedIds.has(id)) continue
        await options.cron.remove(id)
        removed += 1
      }
      if (restored > 0) options.logger.warn({ restored }, 'pulse-engine: re-created cron schedulers missing from the queue (was Redis flushed or restarted?)')
      return { restored, removed }
    } catch (err) {
      options.logger.warn({ err }, 'pulse-engine: schedule check failed; it will try again')
      return { restored: 0, removed: 0 }
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => void runOnce(), options.intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer), runOnce }
}
