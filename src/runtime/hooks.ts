import { publicRun, publicStep, type RunRecord, type StepRecord } from '../store/index.js'
import type { EngineLogger, LifecycleHook, RunCompleteEvent, StepCompleteEvent } from '../types.js'

export interface Hooks {
  onStepComplete?: LifecycleHook<StepCompleteEvent>
  onRunComplete?: LifecycleHook<RunCompleteEvent>
}

/**
 * Calls lifecycle hooks without awaiting them: a hook that throws is logged, one that hangs is
 * simply never waited for. Either way the run goes on.
 */
export function createHookFirer(hooks: Hooks, logger: EngineLogger) {
  const fire = <E>(name: string, hook: LifecycleHook<E> | undefined, event: E) => {
    if (!hook) return
    void Promise.resolve()
      .then(() => hook(event))
      .catch((err: unknown) => logger.warn({ err, hook: name }, `pulse-engine: the ${name} hook threw; the run is not affected`))
  }
  return {
    /** Whether any hook is set; when none is, callers skip the reads that would feed them. */
    enabled: Boolean(hooks.onStepComplete || hooks.onRunComplete),
    stepFinished(run: RunRecord, step: StepRecord) {
      // Called for every step: build the event only when someone listens.
      if (hooks.onStepComplete) fire('onStepComplete', hooks.onStepComplete, { run: publicRun(run), step: publicStep(step) })
    },
    runEnded(run: RunRecord) {
      const status = run.status
      if (!hooks.onRunComplete || (status !== 'completed' && status !== 'failed' && status !== 'canceled')) return
      fire('onRunComplete', hooks.onRunComplete, { run: publicRun(run), status })
    },
  }
}

export type HookFirer = ReturnType<typeof createHookFirer>
