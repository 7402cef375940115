import type { StepQueue } from '../queue/index.js'
import type { Store } from '../store/index.js'
import type { EngineLogger } from '../types.js'
import { jobFor } from './job-for.js'

export interface ReconcilerOptions {
  store: Store
  queue: StepQueue
  logger: EngineLogger
  /** Delivers a signal to waits and cancel-on (see deliverSignal). */
  deliver: (signalId: string) => Promise<unknown>
  /** Gives held runs of one workflow of a tenant their places (see FlowAdmission). */
  admit: (tenantId: string, group: string) => Promise<unknown>
  /** Idempotency keys older than this are deleted (EngineConfig.idempotencyWindowMs). */
  idempotencyWindowMs: number
  intervalMs: number
  /** How overdue a step must be before it counts as stranded, so normal queue latency is left alone. */
  graceMs: number
}

/**
 * Postgres is the truth and the queue only delivers, so a lost job (a crash between commit and
 * enqueue, a flushed Redis, an expired lease) must not leave a run stuck. Every interval this
 * finds steps that should be moving and enqueues a job for each (job ids are derived from the
 * step's fence, so a job that still exists is not duplicated), and delivers signals that were
 * stored but not delivered to waits and cancel-on, and admits runs flow control still holds.
 */
export function startReconciler(options: ReconcilerOptions): { stop(): void; runOnce(): Promise<number> } {
  let running = false
  const runOnce = async (): Promise<number> => {
    if (running) return 0
    running = true
    try {
      await options.store.steps.stopAbandoned()
      const stranded = await options.store.steps.listStranded(options.graceMs, 1000)
      if (stranded.length > 0) await options.queue.enqueue(stranded.map((s) => ({ ...jobFor(s), delayMs: 0 })))
      // Signals whose emitter stopped between storing them and delivering them to waits and cancel-on.
      const undelivered = await options.store.waits.undelivered(options.graceMs, 100)
      for (const id of undelivered) {
        // One signal that cannot be delivered now must not hold up the others.
        await options.deliver(id).catch((err: unknown) => options.logger.warn({ err, signalId: id }, 'pulse-engine: could not deliver a signal; the next pass tries again'))
      }
      // Held runs whose slot was freed by a run that ended in an engine that then died, before
      // it admitted the next one.
      const held = await options.store.flow.heldGroups(options.graceMs, 100)
      for (const { tenantId, group } of held) {
        await options.admit(tenantId, group).catch((err: unknown) => options.logger.warn({ err, tenantId, group }, 'pulse-engine: could not admit held runs; the next pass tries again'))
      }
      await options.store.signals.purgeExpiredKeys(options.idempotencyWindowMs, 1000)
      return stranded.length + undelivered.length + held.length
    } catch (err) {
      options.logger.warn({ err }, 'pulse-engine: reconciler pass failed; it will try again')
      return 0
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => void runOnce(), options.intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer), runOnce }
}
