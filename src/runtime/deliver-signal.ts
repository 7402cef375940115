import { PulseStateError } from '../errors.js'
import type { StepQueue } from '../queue/index.js'
import type { Store } from '../store/index.js'
import type { EngineLogger, SignalEffects } from '../types.js'
import { jobFor } from './job-for.js'

export interface DeliverDeps {
  store: Store
  queue: StepQueue
  logger: EngineLogger
  /** Cancels a run as `cancelRun` does; throws PulseStateError when the run has ended meanwhile. */
  cancel: (runId: string, reason: string) => Promise<unknown>
}

/**
 * Delivers a stored signal to the waits and cancel-ons it matches: the waits it resolves fall due
 * at once, and the runs it cancels are canceled as `cancelRun` cancels them. The signal counts as
 * delivered only after all of that, so a crash on the way leaves it for the reconciler, which
 * delivers it again (resolving is guarded, canceling a canceled run changes nothing).
 */
export async function deliverSignal(deps: DeliverDeps, signalId: string): Promise<SignalEffects> {
  const delivery = await deps.store.transaction((tx) => tx.waits.deliver(signalId))
  const due = delivery.resolved.flatMap((r) => (r.step ? [r.step] : []))
  if (due.length > 0) {
    await deps.queue.enqueue(due.map(jobFor)).catch((err: unknown) => {
      deps.logger.warn({ err }, 'pulse-engine: could not enqueue waits a signal resolved; the reconciler will pick them up')
    })
    // The timeout's delayed job (the fence before) would only find the step done; do not keep it for days.
    await deps.queue.remove(due.map((s) => ({ stepRunId: s.id, fence: s.fence - 1 }))).catch(() => undefined)
  }
  const canceledRuns: SignalEffects['canceledRuns'] = []
  for (const { run, signal } of delivery.cancel) {
    try {
      await deps.cancel(run.id, `signal ${signal.type} ${signal.id} arrived (cancelOn)`)
      canceledRuns.push({ runId: run.id, workflowKey: run.definitionSnapshot.key ?? null })
    } catch (err) {
      // Ended on its own between the lookup and the cancel: nothing left to cancel.
      if (!(err instanceof PulseStateError)) throw err
    }
  }
  // Without runs to cancel, deliver() already marked it delivered.
  if (delivery.cancel.length > 0) await deps.store.waits.delivered(signalId)
  return { resolvedWaits: delivery.resolved.map((r) => ({ runId: r.wait.runId, stepName: r.wait.stepName })), canceledRuns }
}
