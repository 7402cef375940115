import { publicRun, publicStep, type RunRecord, type StepRecord } from '../store/index.js'
import type { EngineLogger, LifecycleHook, RunCompleteEvent, StepCompleteEvent } from '../types.js'

export interface Hooks {
  onStepComplete?: LifecycleHook<StepCompleteEvent>
  onRunComplete?: LifecycleHook<RunCompleteEvent>
}

/** Hands over what one committed transition finished, once the run to report it with is known. */
export type HookDelivery = (run: RunRecord | null, finishedSteps: StepRecord[], endedRun?: RunRecord) => void

/**
 * Calls lifecycle hooks without awaiting them: a hook that throws is logged, one that hangs is
 * simply never waited for. Either way the run goes on.
 *
 * Within a run, hooks are called in commit order. A transition that must read its run before
 * reporting takes its place in line right after its commit (reserve), so a later transition of
 * the same run that needs no read (the last branch ending the run) cannot report first.
 */
export function createHookFirer(hooks: Hooks, logger: EngineLogger) {
  const fire = <E>(name: string, hook: LifecycleHook<E> | undefined, event: E) => {
    if (!hook) return
    void Promise.resolve()
      .then(() => hook(event))
      .catch((err: unknown) => logger.warn({ err, hook: name }, `pulse-engine: the ${name} hook threw; the run is not affected`))
  }
  const stepFinished = (run: RunRecord, step: StepRecord) => {
    // Called for every step: build the event only when someone listens.
    if (hooks.onStepComplete) fire('onStepComplete', hooks.onStepComplete, { run: publicRun(run), step: publicStep(step) })
  }
  const runEnded = (run: RunRecord) => {
    const status = run.status
    if (!hooks.onRunComplete || (status !== 'completed' && status !== 'failed' && status !== 'canceled')) return
    fire('onRunComplete', hooks.onRunComplete, { run: publicRun(run), status })
  }

  /** Per run, the reports waiting for an earlier one that is still reading its run; null = not ready yet. */
  const waiting = new Map<string, { ready: (() => void) | null }[]>()
  const flush = (runId: string) => {
    const line = waiting.get(runId)
    if (!line) return
    while (line.length > 0 && line[0]!.ready) line.shift()!.ready!()
    if (line.length === 0) waiting.delete(runId)
  }
  /** Reports now, or after the reports still waiting in this run's line. */
  const report = (runId: string, call: () => void) => {
    const line = waiting.get(runId)
    if (line) line.push({ ready: call })
    else call()
  }

  return {
    /** Whether any hook is set; when none is, callers skip the reads that would feed them. */
    enabled: Boolean(hooks.onStepComplete || hooks.onRunComplete),
    /** Reports a finished step (and the run's end) whose run is at hand. */
    finished(run: RunRecord, step: StepRecord, ended: boolean) {
      report(run.id, () => {
        stepFinished(run, step)
        if (ended) runEnded(run)
      })
    },
    /**
     * Takes a place in the run's line for a transition that just committed; call it before any
     * await after the commit, and call what it returns exactly once (with null to report nothing).
     */
    reserve(runId: string): HookDelivery {
      const slot: { ready: (() => void) | null } = { ready: null }
      const line = waiting.get(runId)
      if (line) line.push(slot)
      else waiting.set(runId, [slot])
      return (run, finishedSteps, endedRun) => {
        slot.ready = () => {
          if (run) for (const step of finishedSteps) stepFinished(run, step)
          if (endedRun) runEnded(endedRun)
        }
        flush(runId)
      }
    },
  }
}

export type HookFirer = ReturnType<typeof createHookFirer>
