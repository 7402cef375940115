import type { EmitResult, HandlerEmit, TriggerInput } from '../types.js'
import type { EmitOptions } from './emit-signal.js'
import { derivedEmitKey } from './idempotency.js'

/** The engine's emit as handlers reach it. */
export type EngineEmit = (input: TriggerInput, options?: EmitOptions) => Promise<EmitResult>

/**
 * Builds `ctx.emit` over the engine's emit for one execution of a step: a plain signal goes
 * through as given, and a trigger plus its fields becomes the signal `engine.emit(trigger, input)`
 * would make, for the run's tenant unless the input names another. The engine checks the payload
 * against the trigger's schema either way.
 *
 * Each call without an `idempotencyKey` gets one derived from the run, the step's position, the
 * signal type and the call's order among this execution's calls of that type, so the same call in a re-execution of the step (a crash, a
 * lease takeover, a retry) returns the signal the first execution stored instead of starting
 * the chained runs twice. A re-execution may compute a different payload (a timestamp, say); it
 * gets the first signal back rather than an error, because that is the signal that was acted on
 * and the handler cannot choose another (the engine logs a warning when that happens). Calls of
 * one type whose order can vary between executions (started together, finishing in any order)
 * should pass their own `idempotencyKey`. A key of the caller's own is checked as engine.emit does.
 */
export function handlerEmit(emit: EngineEmit, tenantId: string, origin: { runId: string; stepPath: readonly number[]; traceParent?: unknown }): HandlerEmit {
  const calls = new Map<string, number>()
  const parent = origin.traceParent
  const send = (input: TriggerInput) => {
    if (input !== null && typeof input === 'object' && input.idempotencyKey !== undefined) return emit(input, parent === undefined ? undefined : { parent })
    const type = input !== null && typeof input === 'object' && typeof input.type === 'string' ? input.type : ''
    const call = (calls.get(type) ?? 0) + 1
    calls.set(type, call)
    const idempotencyKey = derivedEmitKey(origin.runId, origin.stepPath, type, call)
    return emit(input !== null && typeof input === 'object' ? { ...input, idempotencyKey } : input, { keyReuse: 'first', parent })
  }
  return ((first: unknown, second?: unknown) => {
    const trigger = first as { kind?: unknown; type?: unknown; source?: unknown } | null
    if (second !== undefined && typeof trigger === 'object' && trigger !== null && trigger.kind === 'trigger') {
      const fields = (typeof second === 'object' && second !== null ? second : {}) as Partial<TriggerInput>
      return send({ ...fields, tenantId: fields.tenantId ?? tenantId, type: trigger.type, source: trigger.source } as TriggerInput)
    }
    return send(first as TriggerInput)
  }) as HandlerEmit
}
