import type { StepQueue } from '../queue/index.js'
import { noEffects, type Effects, type RunRecord, type Store, type StoreSession } from '../store/index.js'
import type { Telemetry } from '../telemetry/index.js'
import type { EngineLogger } from '../types.js'
import type { HookFirer } from './hooks.js'
import { jobFor } from './job-for.js'

/** Runs a transition in one transaction with its run locked, then applies what it asked for. */
export interface TransitionCommitter {
  /** `fn` runs with the run row locked (not at all if the run does not exist); its effects apply after COMMIT. */
  commit(runId: string, fn: (tx: StoreSession, run: RunRecord, fx: Effects) => Promise<void>): Promise<void>
}

export function createTransitionCommitter(deps: {
  store: Store
  queue: StepQueue
  hooks: HookFirer
  logger: EngineLogger
  telemetry: Telemetry
  onRunEnded?: (run: RunRecord) => void
}): TransitionCommitter {
  const { store, queue, hooks, logger } = deps

  async function applyEffects(fx: Effects): Promise<void> {
    if (fx.endedRun) deps.telemetry.runEnded(fx.endedRun)
    // The hooks' place in line is taken before the first await, right after the commit: a later
    // transition of the run (the last branch, ending it) must not report before this one.
    const report = hooks.enabled && (fx.finishedSteps.length > 0 || fx.endedRun) ? hooks.reserve(fx.endedRun?.id ?? fx.finishedSteps[0]!.runId) : undefined
    if (fx.endedRun && deps.onRunEnded) deps.onRunEnded(fx.endedRun)
    if (fx.removeJobs.length > 0) await queue.remove(fx.removeJobs.map(jobFor)).catch(() => undefined)
    // Hooks before the next jobs exist: otherwise the next step could finish, and fire its own
    // hook, before this one's, and onStepComplete would arrive out of step order.
    if (report) {
      const run = fx.endedRun ?? (await store.runs.get(fx.finishedSteps[0]!.runId).catch(() => null))
      report(run, fx.finishedSteps, fx.endedRun)
    }
    if (fx.enqueue.length > 0) {
      // The rows are committed, so a failure here only delays them until the reconciler runs.
      await queue.enqueue(fx.enqueue.map(jobFor)).catch((err: unknown) => {
        logger.warn({ err }, 'pulse-engine: could not enqueue next steps; the reconciler will pick them up')
      })
    }
  }

  return {
    async commit(runId, fn) {
      const fx = noEffects()
      await store.transaction(async (tx) => {
        const run = await tx.runs.lock(runId)
        if (run) await fn(tx, run, fx)
      })
      await applyEffects(fx)
    },
  }
}
