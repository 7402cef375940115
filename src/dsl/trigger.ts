import type { z } from 'zod'
import { LIMITS, TRIGGER_TYPE_PATTERN } from '../definition/limits.js'
import type { ValidationIssue } from '../errors.js'
import type { HandlerContext, JsonObject } from '../types.js'
import { makeActionDef, type ActionDef, type ActionDefOptions, type ActionHandlerResult, type AnyActionHandler, type NoData } from './action.js'
import { makeConditionDef, type AnyConditionHandler, type ConditionDef, type ConditionHandlerResult } from './condition.js'
import { throwIfAny } from './issues.js'
import type { DslTypeError } from './type-errors.js'

/**
 * A signal type as the engine registers it: its `type`, the `source` that emits it, and
 * optionally a resource type and the zod schema its payload must satisfy.
 *
 * @typeParam TPayload - the payload handlers read: the schema's output
 * @typeParam TInput - the payload an emitter writes: the schema's input, in which `.default()`
 *   fields may be left out
 *
 * @example
 * ```ts
 * const def: TriggerDef<'heartbeat.missed', { lastSeenAt: string }> = heartbeatMissed
 * ```
 */
export interface TriggerDef<TType extends string = string, TPayload = JsonObject, TInput = TPayload> {
  readonly kind: 'trigger'
  readonly type: TType
  readonly source: string
  readonly resourceType?: string
  /**
   * The schema emitted payloads are checked against, if the trigger declared one. It has zod's
   * core schema type, which every zod 4 schema extends: checking a schema against the full
   * `z.ZodType` class costs the compiler tens of thousands of type instantiations.
   */
  readonly payload?: z.core.$ZodType<TPayload, TInput>
}

/**
 * The payload type handlers see for a trigger: its schema's output.
 *
 * @example
 * ```ts
 * type Missed = PayloadOf<typeof heartbeatMissed> // { lastSeenAt: string }
 * ```
 */
export type PayloadOf<T extends TriggerDef<string, unknown, unknown>> = T extends TriggerDef<string, infer P, unknown> ? P : never

/**
 * The payload type an emitter writes for a trigger: its schema's input, so a field with
 * `.default()` may be left out. `engine.emit(trigger, ...)` and `ctx.emit(trigger, ...)` take it.
 *
 * @example
 * ```ts
 * // payload: z.object({ attempts: z.number().default(0) })
 * type Sent = PayloadInputOf<typeof heartbeatMissed> // { attempts?: number | undefined }
 * ```
 */
export type PayloadInputOf<T extends TriggerDef<string, unknown, unknown>> = T extends TriggerDef<string, unknown, infer I> ? I : never

/**
 * What `trigger()` returns: the {@link TriggerDef} plus factories for handlers that read this
 * trigger's typed payload but live outside any workflow.
 */
export interface Trigger<TType extends string = string, TPayload = JsonObject, TInput = TPayload> extends TriggerDef<TType, TPayload, TInput> {
  /**
   * Declares a reusable action typed by this trigger's payload. A workflow can use it when its
   * own trigger's payload has at least the fields this one reads.
   *
   * @example
   * ```ts
   * const createIncident = heartbeatMissed.action('create_incident', async (ctx) => {
   *   const since = ctx.trigger.payload.lastSeenAt // string
   *   return { success: true, data: { incidentId: await open(since) } }
   * }, { replaySafe: true })
   * ```
   */
  action<const TName extends string, TData extends JsonObject = NoData>(
    name: TName,
    handler: (ctx: HandlerContext<TPayload>) => ActionHandlerResult<TData>,
    options?: ActionDefOptions,
  ): ActionDef<TName, TPayload, TData>

  /**
   * Declares a reusable condition typed by this trigger's payload.
   *
   * @example
   * ```ts
   * const stale = heartbeatMissed.condition('stale', (ctx) => Date.parse(ctx.trigger.payload.lastSeenAt) < cutoff)
   * ```
   */
  condition<const TName extends string>(
    name: TName,
    handler: (ctx: HandlerContext<TPayload>) => ConditionHandlerResult,
  ): ConditionDef<TName, TPayload>
}

/** Where a trigger's signals come from. */
export interface TriggerOptions {
  /** The system that emits the signal, e.g. `'heartbeat'` or `'stripe'`. */
  source: string
  /** The kind of resource a signal is about, e.g. `'service'`. */
  resourceType?: string
}

/** The part of `T` that JSON cannot hold (dates, bigints, maps, sets, functions), or `never`. */
type NotJson<T> = unknown extends T
  ? never // z.unknown() and friends: nothing to check statically, the schema decides at run time
  : T extends string | number | boolean | null | undefined
    ? never
    : T extends Date | bigint | symbol | Map<unknown, unknown> | Set<unknown> | ((...args: never[]) => unknown)
      ? T
      : T extends readonly (infer E)[]
        ? NotJson<E>
        : T extends object
          ? { [K in keyof T]-?: NotJson<T[K]> }[keyof T]
          : T

/**
 * `true` for a schema built only of strings, numbers, booleans, enums and nulls, possibly
 * optional, nullable or defaulted, in arrays and plain objects (no catchall or passthrough):
 * its output is JSON and valid input to itself. Reading the schema's own type is a fraction of
 * the cost of computing its input type and walking its output, which {@link JsonRoundTrip} then
 * skips; anything else (`false`) gets the full check.
 */
type PlainJsonSchema<T> = T extends { _zod: { def: { type: 'string' | 'number' | 'boolean' | 'enum' | 'null' } } }
  ? true
  : T extends { _zod: { def: { type: 'optional' | 'nullable' | 'default'; innerType: infer I } } }
    ? PlainJsonSchema<I>
    : T extends { _zod: { def: { type: 'array'; element: infer E } } }
      ? PlainJsonSchema<E>
      : PlainJsonObject<T>

/** {@link PlainJsonSchema} for a plain object schema (no catchall or passthrough); `false` for any other. */
type PlainJsonObject<T> = T extends { _zod: { def: { type: 'object'; shape: infer Shape }; config: { out: infer Extra } } }
  ? keyof Extra extends never
    ? false extends { [K in keyof Shape]: PlainJsonSchema<Shape[K]> }[keyof Shape]
      ? false
      : true
    : false
  : false

/**
 * What `trigger()` reads of a payload schema: every zod 4 schema has it. Checking a schema
 * against this instead of zod's `$ZodType` spares the compiler comparing the whole schema class
 * for each trigger.
 */
export interface SchemaTypes {
  readonly _zod: { readonly output: unknown; readonly input: unknown }
}

/**
 * Payloads are stored as JSON and parsed again on replay, so a schema's output must be a JSON
 * object and valid input to the schema again. Transforms (string to number), non-JSON values
 * (`z.date()`, `z.bigint()`) and schemas of something else than an object (`z.string()`) break
 * that and are rejected here; `.default()` and `z.coerce` are fine.
 */
export type JsonRoundTrip<S extends SchemaTypes> = PlainJsonObject<S> extends true
  ? unknown
  : S['_zod']['output'] extends JsonObject
    ? S['_zod']['output'] extends S['_zod']['input']
      ? [NotJson<S['_zod']['output']>] extends [never]
        ? unknown
        : DslTypeError<'the payload schema outputs values JSON cannot hold (Date, bigint, Map, Set, functions); payloads are stored as JSON, so use strings such as z.string().datetime()'>
      : DslTypeError<'the payload schema transforms its input (its output is not valid input); payloads are stored as JSON and parsed again on replay, so remove the .transform()'>
    : DslTypeError<'the payload schema must describe an object, such as z.object({ ... }): a payload is a JSON object'>

/**
 * Declares a signal type. With a zod `payload` schema, handlers see `ctx.trigger.payload`
 * typed by the schema's output, and `engine.emit` and `ctx.emit` take payloads typed by its
 * input (fields with `.default()` may be left out) and check them against it.
 *
 * @example
 * ```ts
 * const heartbeatMissed = trigger('heartbeat.missed', {
 *   source: 'heartbeat',
 *   resourceType: 'service',
 *   payload: z.object({ lastSeenAt: z.string().datetime() }),
 * })
 * ```
 */
// S is constrained on the two types it is read for, and they are read from S['_zod'] directly:
// checking a schema against $ZodType (the whole zod class) or going through z.output / z.input
// cost the compiler more, per trigger, than JsonRoundTrip's own check that the output is an object.
export function trigger<const TType extends string, S extends SchemaTypes>(
  type: TType,
  options: TriggerOptions & { payload: S & JsonRoundTrip<S> },
): Trigger<TType, S['_zod']['output'], S['_zod']['input']>
export function trigger<const TType extends string>(type: TType, options: TriggerOptions): Trigger<TType, JsonObject>
export function trigger(type: string, options: TriggerOptions & { payload?: z.core.$ZodType<JsonObject, JsonObject> }): Trigger<string, JsonObject> {
  const subject = typeof type === 'string' && type.length > 0 ? `trigger "${type}"` : 'trigger'
  throwIfAny(subject, triggerIssues(type, options))
  const def: Trigger<string, JsonObject> = {
    kind: 'trigger',
    type,
    source: options.source,
    ...(options.resourceType !== undefined ? { resourceType: options.resourceType } : {}),
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
    action: (name, handler, actionOptions) => makeActionDef(name, handler as AnyActionHandler, actionOptions),
    condition: (name, handler) => makeConditionDef(name, handler as AnyConditionHandler),
  }
  return Object.freeze(def)
}

function triggerIssues(type: unknown, options: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  if (typeof type !== 'string' || type.length === 0) {
    issues.push({ path: ['type'], message: 'type is empty; name the signal, e.g. "heartbeat.missed"' })
  } else if (type.length > LIMITS.maxKeyLength) {
    issues.push({ path: ['type'], message: `type is longer than ${LIMITS.maxKeyLength} characters` })
  } else if (!TRIGGER_TYPE_PATTERN.test(type)) {
    issues.push({
      path: ['type'],
      message: `type "${type}" may use letters, digits, "_", ".", ":", "/" and "-", and must start with a letter or digit`,
    })
  }
  if (typeof options !== 'object' || options === null) {
    issues.push({ path: [], message: 'options are required: { source, resourceType?, payload? }' })
    return issues
  }
  const { source, resourceType, payload } = options as Record<string, unknown>
  if (typeof source !== 'string' || source.length === 0) {
    issues.push({ path: ['source'], message: 'source is required: the system that emits this signal, e.g. "heartbeat"' })
  }
  if (resourceType !== undefined && (typeof resourceType !== 'string' || resourceType.length === 0)) {
    issues.push({ path: ['resourceType'], message: 'resourceType must be a non-empty string; leave it out if signals have none' })
  }
  if (payload !== undefined && !isZodSchema(payload)) {
    issues.push({ path: ['payload'], message: 'payload must be a zod schema such as z.object({ ... })' })
  }
  return issues
}

function isZodSchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function'
}
