import type { ActionResult, HandlerContext, JsonObject } from '../types.js'
import { handlerNameProblem, throwIfAny } from './issues.js'

/**
 * The payload type of a handler stored for the engine. Handlers are looked up by name at run
 * time, after their static types are gone; the engine calls every one of them with the plain
 * JSON context it loaded from Postgres. `any` is confined to this erased boundary: the DSL has
 * already checked each handler against its workflow's trigger, and nothing typed flows out of it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- erased registry boundary, see above
export type ErasedPayload = any

/** Data of an action that returns none; `ctx.steps[name]` is then an empty object. */
export type NoData = Record<string, never>

/** What an action handler may return: a result, nothing (success), or a promise of either. */
export type ActionHandlerResult<TData extends JsonObject = JsonObject> =
  | ActionResult<TData>
  | void
  | Promise<ActionResult<TData> | void>

/**
 * The data type a handler's result carries, read off the handler's own return type: cheaper for
 * the compiler than inferring it through {@link ActionHandlerResult}'s union, which it would
 * otherwise do once per inference pass of every inline step.
 */
export type DataOf<R> = Awaited<R> extends { data?: infer D } ? (D extends JsonObject ? D : NoData) : NoData

/** Options of a reusable or inline action. */
export interface ActionDefOptions {
  /**
   * Whether the action may run again when its signal is replayed. Default `false`, so a replay
   * never repeats a side effect nobody vouched for.
   */
  replaySafe?: boolean
}

/**
 * An action handler, named and ready to use in any number of workflows with `.do(def)`.
 *
 * @typeParam TName - the step name it gets in a workflow
 * @typeParam TPayload - the trigger payload it reads; a workflow whose payload does not fit cannot use it
 * @typeParam TData - what it returns as `data`, which later steps read as `ctx.steps[TName]`
 *
 * @example
 * ```ts
 * const closeTicket: ActionDef<'close_ticket', JsonObject, { closedAt: string }> =
 *   action('close_ticket', async () => ({ success: true, data: { closedAt: new Date().toISOString() } }))
 * ```
 */
export interface ActionDef<TName extends string = string, TPayload = ErasedPayload, TData extends JsonObject = JsonObject> {
  readonly kind: 'action'
  readonly name: TName
  readonly handler: (ctx: HandlerContext<TPayload>) => ActionHandlerResult<TData>
  readonly options: { readonly replaySafe: boolean }
}

/** The handler type the engine's registry stores and calls; see {@link ErasedPayload}. */
export type AnyActionHandler = (
  ctx: HandlerContext<ErasedPayload, ErasedPayload, ErasedPayload>,
) => ActionHandlerResult<JsonObject>

/**
 * Declares an action that works with any trigger: its `ctx.trigger.payload` is a plain
 * {@link JsonObject}. To read a typed payload, create it from the trigger instead:
 * `heartbeatMissed.action(...)`.
 *
 * @example
 * ```ts
 * const createIncident = action('create_incident', async (ctx) => {
 *   const id = await incidents.open(ctx.tenantId, ctx.trigger.resourceId)
 *   return { success: true, data: { incidentId: id } }
 * }, { replaySafe: true })
 * ```
 */
export function action<const TName extends string, TData extends JsonObject = NoData>(
  name: TName,
  handler: (ctx: HandlerContext) => ActionHandlerResult<TData>,
  options?: ActionDefOptions,
): ActionDef<TName, JsonObject, TData> {
  return makeActionDef(name, handler as AnyActionHandler, options)
}

/** Builds the frozen def behind `action()`, `trigger.action()` and inline `.do(name, fn)`. */
export function makeActionDef<TName extends string, TPayload, TData extends JsonObject>(
  name: TName,
  handler: AnyActionHandler,
  options: ActionDefOptions | undefined,
): ActionDef<TName, TPayload, TData> {
  const subject = typeof name === 'string' && name.length > 0 ? `action "${name}"` : 'action'
  const problem = handlerNameProblem(name)
  throwIfAny(subject, problem ? [{ path: ['name'], message: problem }] : [])
  throwIfAny(subject, actionOptionIssues(handler, options))
  return Object.freeze({
    kind: 'action' as const,
    name,
    handler: handler as ActionDef<TName, TPayload, TData>['handler'],
    options: Object.freeze({ replaySafe: options?.replaySafe ?? false }),
  })
}

function actionOptionIssues(handler: unknown, options: ActionDefOptions | undefined) {
  const issues = []
  if (typeof handler !== 'function') issues.push({ path: ['handler'], message: 'handler must be a function' })
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    issues.push({ path: ['options'], message: 'options must be an object such as { replaySafe: true }' })
  } else if (options?.replaySafe !== undefined && typeof options.replaySafe !== 'boolean') {
    issues.push({ path: ['options', 'replaySafe'], message: 'replaySafe must be true or false' })
  }
  return issues
}
