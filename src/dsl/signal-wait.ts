import type { OnTimeout } from '../definition/types.js'
import type { DurationInput } from './duration.js'
import type { TriggerDef } from './trigger.js'
import type { DslTypeError } from './type-errors.js'

/** Any trigger, as `.waitFor()` and `.cancelOn()` take it. */
export type AnyTrigger = TriggerDef<string, unknown, unknown>

/** What `.waitFor()` takes: one trigger, or a list of them whose first matching signal wins. */
export type AwaitedTriggers = AnyTrigger | readonly AnyTrigger[]

/** The triggers a `.waitFor()` waits for, as a union. */
export type AwaitedOf<T extends AwaitedTriggers> = T extends readonly (infer E)[] ? E : T

/**
 * The signal a wait received: one member per awaited trigger, told apart by `type`, each with
 * the payload its own schema gives handlers.
 */
export type ReceivedSignal<T> =
  T extends TriggerDef<infer Type, infer Payload, unknown>
    ? { id: string; type: Type; payload: Payload; resourceId?: string; createdAt: string }
    : never

/**
 * What a wait step records under its name, read by later steps as `ctx.steps.<name>`: the
 * signal that came (`createdAt` is an ISO date string), or `{ received: false }` when none came
 * before the timeout.
 *
 * @example
 * ```ts
 * .do('downgrade', (ctx) => {
 *   const wait = ctx.steps.wait_for_upgrade
 *   if (wait.received && wait.signal.type === 'subscription.created') wait.signal.payload.plan
 * })
 * ```
 */
export type SignalWaitOutput<T extends AwaitedTriggers> = WaitResult<ReceivedSignal<AwaitedOf<T>>>

/**
 * {@link SignalWaitOutput} over the received signal's type. The steps after a wait hold this,
 * not the triggers: the compiler walks every output each time it instantiates a step method,
 * and a trigger's type would make it walk the schema's input type too.
 */
export type WaitResult<Signal> = { received: true; signal: Signal } | { received: false }

/** A match path as written: one path or a list of them. */
export type MatchInput = string | readonly string[]

type Fields<T> = keyof NonNullable<T> & string

/** `true` when `Path` (`a.b.c`) leads to a field of `T`; payloads without a schema have every field. */
type HasPath<T, Path extends string> = unknown extends T
  ? true
  : Path extends `${infer Head}.${infer Rest}`
    ? Head extends Fields<T>
      ? HasPath<NonNullable<T>[Head & keyof NonNullable<T>], Rest>
      : false
    : Path extends Fields<T>
      ? true
      : false

/** The paths in `P` that are not `resourceId`, `resourceType`, `environment` or `payload.<field>`. */
export type MalformedPath<P> = P extends 'resourceId' | 'resourceType' | 'environment' | `payload.${string}` ? never : P

/** The `payload.` paths in `P` that some payload in `Payloads` lacks. */
export type MissingPath<P, Payloads> = P extends `payload.${infer Rest}`
  ? false extends (Payloads extends unknown ? HasPath<Payloads, Rest> : never)
    ? P
    : never
  : never

type PathsOf<M extends MatchInput> = M extends readonly (infer E)[] ? E : M

/**
 * Intersected with a `match` argument: `unknown` when every path is well formed and every
 * `payload.` path is a field of each payload in `Payloads` (the workflow's trigger's and the
 * other signal's), otherwise an error naming the path. Non-literal paths are checked at run time.
 */
export type MatchCheck<M extends MatchInput, Payloads> = M extends readonly []
  ? DslTypeError<'match is empty; list at least one path such as "resourceId" or "payload.orderId"'>
  : [MalformedPath<PathsOf<M>>] extends [never]
    ? [MissingPath<PathsOf<M>, Payloads>] extends [never]
      ? unknown
      : DslTypeError<`match path "${MissingPath<PathsOf<M>, Payloads> & string}" is not a field of both the workflow's trigger payload and the other signal's payload; match on a field both have`>
    : DslTypeError<`match path "${MalformedPath<PathsOf<M>> & string}" must be "resourceId", "resourceType", "environment" or "payload.<field>"`>

/** Options of `.waitFor(name, trigger, options)`. */
export interface WaitForOptions<M> {
  /**
   * Where the awaited signal must have the same value as the run's trigger: `'resourceId'`,
   * `'resourceType'`, `'environment'` or `'payload.<field>'` (nested fields joined by dots), one
   * path or a list. The tenant always matches.
   */
  match: M
  /** How long to wait, 1 ms to 30 days. */
  timeout: DurationInput
  /**
   * When no matching signal came in time: `'continue'` (default; the output is
   * `{ received: false }`), `'fail'` (the run fails) or `'complete'` (the run ends completed).
   */
  onTimeout?: OnTimeout
}

/** Options of `.cancelOn(trigger, options)`. */
export interface CancelOnOptions<M> {
  /** Where the canceling signal must have the same value as the run's trigger; as in `.waitFor()`. */
  match: M
}
