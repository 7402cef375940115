import { hostname } from 'node:os'
import type { StepQueue } from '../queue/index.js'
import type { BeatResult, Store } from '../store/index.js'
import type { EngineLogger } from '../types.js'
import { jobFor } from './job-for.js'
import { ACTIVE_RUN_STATUSES } from './run-state.js'

export interface LivenessOptions {
  store: Store
  queue: StepQueue
  logger: EngineLogger
  /** This engine's id; its claims carry it (StoreOptions.workerId). */
  workerId: string
  /** How long this engine may stay silent before the others take its claims over. */
  timeoutMs: number
}

export interface Liveness {
  /** Ends the beat and deletes this engine's row (a clean stop: nobody needs to take anything over). */
  stop(): Promise<void>
}

/** How often an engine beats (and looks for dead ones): once a second, more often for short timeouts. */
export function beatIntervalMs(timeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(timeoutMs / 5)))
}

/**
 * Keeps this engine's liveness row fresh and takes over the claims of engines that stopped
 * beating. A SIGKILLed worker's steps would otherwise wait out their lease (`leaseMs`, 30 s by
 * default); with this, another started engine voids its claims and enqueues their steps within
 * the dead one's `workerTimeoutMs` of its last beat.
 *
 * The beat is one statement per interval whatever the load (see WorkerStore.beat); the claims
 * themselves cost nothing extra, since each claim already writes the step row the engine's id
 * goes into. It resolves once the first beat is written, so the row exists before the engine
 * claims anything.
 */
export async function startLiveness(options: LivenessOptions): Promise<Liveness> {
  const { store, queue, logger } = options
  const interval = beatIntervalMs(options.timeoutMs)
  // The row expires one interval before the timeout: the others look once per interval, so the
  // steps of a dead engine are released within workerTimeoutMs of its last beat, not after it.
  const me = { id: options.workerId, host: hostname(), pid: process.pid, timeoutMs: options.timeoutMs, expiresInMs: options.timeoutMs - interval }
  let beating: Promise<BeatResult | undefined> | undefined
  let stopped = false
  let beats = 0

  const beat = (): Promise<BeatResult | undefined> => {
    // A slow database must not pile beats up; the next tick tries again.
    beating ??= store.workers
      .beat(me)
      .then(async (result) => {
        await handOn(result)
        return result
      })
      .catch((err: unknown) => {
        logger.warn({ err }, 'pulse-engine: liveness beat failed; it will try again')
        return undefined
      })
      .finally(() => {
        beating = undefined
        beats++
      })
    return beating
  }

  async function handOn(result: BeatResult): Promise<void> {
    if (!result.known && beats > 0) {
      logger.warn(
        { workerId: me.id, timeoutMs: me.timeoutMs },
        `pulse-engine: this engine was silent for more than workerTimeoutMs (${me.timeoutMs} ms), so other engines took over its steps; the handlers still running here will have their results ignored. An event loop blocked that long (a synchronous handler, a long GC pause) causes this: raise workerTimeoutMs or move the blocking work off the event loop`,
      )
    }
    if (result.dead.length > 0) {
      logger.warn(
        { dead: result.dead, steps: result.released.length },
        `pulse-engine: ${result.dead.map((d) => `worker ${d.id} (pid ${d.pid} on ${d.host})`).join(', ')} stopped beating; ${result.released.length} claimed steps go back to the queue`,
      )
    }
    const due = result.released.filter((r) => ACTIVE_RUN_STATUSES.includes(r.runStatus)).map((r) => ({ ...jobFor(r.step), delayMs: 0 }))
    if (due.length > 0) {
      // The claims are void in Postgres already; should this enqueue fail, the reconciler finds
      // the steps as expired leases.
      await queue.enqueue(due).catch((err: unknown) => {
        logger.warn({ err }, 'pulse-engine: could not enqueue steps taken over from a dead worker; the reconciler will pick them up')
      })
    }
  }

  await handOn(await store.workers.beat(me))
  beats++
  const timer = setInterval(() => void beat(), interval)
  timer.unref()

  return {
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      await beating
      await store.workers.remove(me.id).catch((err: unknown) => {
        logger.warn({ err }, 'pulse-engine: could not delete this engine’s liveness row; it expires by itself')
      })
    },
  }
}
