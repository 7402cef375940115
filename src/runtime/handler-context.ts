import { publicRun, publicStep, type Claim, type Store } from '../store/index.js'
import type { HandlerContext, JsonObject, LogLevel, StepLogger, WorkflowStep } from '../types.js'
import { handlerEmit, type EngineEmit } from './handler-emit.js'

export interface ContextDeps {
  store: Store
  emit: EngineEmit
  /** ctx.now(): one function for every handler of the engine. */
  now: () => Date
}

/**
 * Builds the `ctx` a handler receives. Log writes are collected so the executor can wait for
 * them before it records the step's result: a step's log lines are never missing once it is done.
 */
export function buildContext(
  deps: ContextDeps,
  claim: Claim,
  def: WorkflowStep,
  /** Made on first use: most handlers never look at their signal. */
  signal: () => AbortSignal,
  /** The step's trace context, which signals emitted with `ctx.emit` continue. */
  traceParent?: unknown,
): { ctx: HandlerContext; pendingLogs: Promise<unknown>[] } {
  const { run, step, trigger } = claim
  const pendingLogs: Promise<unknown>[] = []
  const write = (level: LogLevel) => (message: string, data?: JsonObject) => {
    pendingLogs.push(
      deps.store.logs
        .insert({ runId: run.id, stepRunId: step.id, tenantId: run.tenantId, level, message: String(message), data })
        .catch(() => undefined),
    )
  }
  const log = Object.assign(write('info'), { info: write('info'), warn: write('warn'), error: write('error') }) satisfies StepLogger
  const config: JsonObject = { ...run.definitionSnapshot.config, ...def.config }
  const ctx: HandlerContext = {
    tenantId: run.tenantId,
    trigger,
    run: publicRun(run),
    step: publicStep(step),
    steps: run.context as Record<string, JsonObject | undefined>,
    config,
    isReplay: run.isReplay,
    debounced: run.debounced ?? [trigger.id],
    emit: handlerEmit(deps.emit, run.tenantId, { runId: run.id, stepPath: step.path, traceParent }),
    log,
    now: deps.now,
    get signal() {
      return signal()
    },
  }
  return { ctx, pendingLogs }
}
