import type { HandlerContext, JsonObject } from '../types.js'
import type { ErasedPayload } from './action.js'
import { handlerNameProblem, throwIfAny } from './issues.js'

/** What a condition handler returns: whether the workflow should go on. */
export type ConditionHandlerResult = boolean | Promise<boolean>

/**
 * A condition handler, named and reusable with `.when(def)`.
 *
 * @typeParam TName - the step name it gets in a workflow
 * @typeParam TPayload - the trigger payload it reads
 *
 * @example
 * ```ts
 * const stillDown: ConditionDef<'service_still_down', JsonObject> =
 *   condition('service_still_down', async (ctx) => (await health(ctx.trigger.resourceId)) === 'down')
 * ```
 */
export interface ConditionDef<TName extends string = string, TPayload = ErasedPayload> {
  readonly kind: 'condition'
  readonly name: TName
  readonly handler: (ctx: HandlerContext<TPayload>) => ConditionHandlerResult
}

/** The condition handler type the engine's registry stores and calls; see {@link ErasedPayload}. */
export type AnyConditionHandler = (
  ctx: HandlerContext<ErasedPayload, ErasedPayload, ErasedPayload>,
) => ConditionHandlerResult

/**
 * Declares a condition that works with any trigger. For a typed payload, create it from the
 * trigger: `heartbeatMissed.condition(...)`.
 *
 * @example
 * ```ts
 * const stillDown = condition('service_still_down', async (ctx) => {
 *   return (await health(ctx.trigger.resourceId)) === 'down'
 * })
 * ```
 */
export function condition<const TName extends string>(
  name: TName,
  handler: (ctx: HandlerContext) => ConditionHandlerResult,
): ConditionDef<TName, JsonObject> {
  return makeConditionDef(name, handler as AnyConditionHandler)
}

/** Builds the frozen def behind `condition()`, `trigger.condition()` and inline `.when(name, fn)`. */
export function makeConditionDef<TName extends string, TPayload>(
  name: TName,
  handler: AnyConditionHandler,
): ConditionDef<TName, TPayload> {
  const subject = typeof name === 'string' && name.length > 0 ? `condition "${name}"` : 'condition'
  const problem = handlerNameProblem(name)
  throwIfAny(subject, problem ? [{ path: ['name'], message: problem }] : [])
  throwIfAny(subject, typeof handler === 'function' ? [] : [{ path: ['handler'], message: 'handler must be a function' }])
  return Object.freeze({ kind: 'condition' as const, name, handler: handler as ConditionDef<TName, TPayload>['handler'] })
}
