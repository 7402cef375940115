import type { StepQueue } from '../queue/index.js'
import type { Store } from '../store/index.js'
import type { EngineLogger } from '../types.js'
import type { HandlerRunner } from './handler-runner.js'
import { jobFor } from './job-for.js'

/**
 * Shutdown: aborts every handler still running and hands its step back, so another process can
 * claim it at once instead of waiting for the lease to run out.
 */
export async function handBackRunning(deps: { store: Store; queue: StepQueue; logger: EngineLogger; handlers: HandlerRunner }): Promise<void> {
  const entries = deps.handlers.running()
  if (entries.length === 0) return
  // Release first, then abort: once a step is handed back its fence has moved, so whatever
  // the aborted handler reports afterwards is ignored instead of counting as a failed attempt.
  const released = await deps.store.steps.releaseMany(entries.map((e) => ({ stepId: e.stepId, fence: e.fence }))).catch((err: unknown) => {
    deps.logger.warn({ err }, 'pulse-engine: could not hand steps back at shutdown; their leases will expire instead')
    return []
  })
  deps.handlers.abortAll('shutdown', 'the engine is shutting down')
  if (released.length > 0) await deps.queue.enqueue(released.map(jobFor)).catch(() => undefined)
}
