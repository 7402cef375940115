import { cronProblem } from '../definition/cron.js'
import type { CancelOn, FlowControl, WorkflowSpec } from '../definition/types.js'
import { workflowSpecSchema } from '../definition/schema.js'
import { validateDefinition } from '../definition/validate.js'
import type { ValidationIssue } from '../errors.js'
import type { JsonObject } from '../types.js'
import type { z } from 'zod'
import { chainDo, chainParallel, chainWhen } from './branch-builder.js'
import { addDelay, addWait, deepFreeze, emptyChain, type ChainProps, type RawStepOptions, type RawWaitOptions } from './chain.js'
import type { ChainState, StartState, WithConfig } from './chain-state.js'
import { readFlowSetting, type ConcurrencyOptions, type DebounceOptions, type FlowKeyCheck, type FlowPlace, type FlowSetting, type PriorityCheck, type StartLimitOptions } from './flow-control.js'
import { throwIfAny, zodIssuesAt } from './issues.js'
import type { StepMethods } from './step-methods.js'
import type { CancelOnOptions, AnyTrigger, MatchCheck, MatchInput } from './signal-wait.js'
import type { PayloadOf, TriggerDef } from './trigger.js'
import type { DslTypeError } from './type-errors.js'

/** Narrows which signals of the trigger type start the workflow. */
export interface TriggerFilters {
  /** Only signals emitted with this `environment`. */
  environment?: string
  /** Only signals about this `resourceType`. */
  resourceType?: string
}

/** Options of `workflow(key, options)`; each also has a builder method. */
export interface WorkflowOptions {
  /** Display name; defaults to the key. */
  name?: string
  description?: string
  /** `false` stores the workflow disabled; default `true`. */
  enabled?: boolean
}

/** Options of `.config(values, options)`. */
export interface ConfigOptions {
  /**
   * A zod schema the config must satisfy: checked now, and again at sync for each tenant's
   * config overrides merged over these values.
   */
  schema?: z.ZodType<JsonObject>
}

/** Options of `.cron(expression, options)`. */
export interface CronOptions {
  /** IANA zone the expression is read in, e.g. `'Europe/Paris'`; UTC when absent. */
  timezone?: string
}

/**
 * Any workflow that has a trigger and at least one step: what `compile()`, `collectRegistrations()`
 * and the engine's `sync` accept.
 */
export interface AnyWorkflow {
  readonly kind: 'workflow'
  /** The stable key sync matches stored definitions by. */
  readonly key: string
  compile(): WorkflowSpec
}

/** Settings a workflow can take before and after `.on()`. */
interface WorkflowSettings<TSelf> {
  /** Sets the display name (default: the key). */
  name(name: string): TSelf
  /** Sets a description shown in dashboards and the CLI. */
  description(text: string): TSelf
  /**
   * Runs the workflow on a schedule as well: the engine emits its trigger at each tick.
   * Five fields (minute hour day-of-month month day-of-week), or six with leading seconds.
   *
   * @example
   * ```ts
   * .cron('0 2 * * *', { timezone: 'Europe/Paris' })
   * ```
   */
  cron(expression: string, options?: CronOptions): TSelf
  /** Stores the workflow disabled; enable it later from the engine or CLI. */
  disabled(): TSelf
}

/**
 * A workflow before `.on(trigger)`: settings only, since steps are typed by the trigger's payload.
 *
 * @example
 * ```ts
 * const start = workflow('nightly-cleanup').name('Nightly cleanup').config({ keepDays: 30 })
 * ```
 */
export interface WorkflowStart<TConfig, TKey extends string = string> extends WorkflowSettings<WorkflowStart<TConfig, TKey>> {
  /** The stable key given to `workflow(key)`. */
  readonly key: TKey
  /**
   * Sets the workflow config, which handlers read as `ctx.config`.
   *
   * @example
   * ```ts
   * workflow('incident').config({ severity: 'high' }, { schema: z.object({ severity: z.enum(['low', 'high']) }) })
   * ```
   */
  config<C extends JsonObject>(config: C, options?: ConfigOptions): WorkflowStart<C, TKey>
  /**
   * Picks the signal that starts the workflow, optionally narrowed by environment and resource
   * type. Steps can be added after this.
   *
   * @example
   * ```ts
   * workflow('incident').on(heartbeatMissed, { environment: 'production' })
   * ```
   */
  on<P>(trigger: TriggerDef<string, P, unknown>, filters?: TriggerFilters): WorkflowBuilder<StartState<P, TConfig>, TKey>
}

/**
 * The arguments of `compile()`: none once the workflow has a step. Before that, one that cannot
 * be given, whose label and type say what is missing; the compiler reports "Expected 1
 * arguments, but got 0. An argument for 'add_a_step_before_compile' was not provided", and a
 * hover or an argument shows the DslTypeError. (A property or `this` type would read better but
 * makes builders of different states unassignable to each other, which code that reassigns a
 * growing chain relies on.)
 */
type CompileArgs<S extends ChainState> = S['hasSteps'] extends true
  ? []
  : [add_a_step_before_compile: DslTypeError<'a workflow needs at least one step before compile(): add .do(), .when(), .delay() or .parallel()'>]

/** Intersected with `.cancelOn()`'s trigger: an error once the workflow has a step. */
type CancelOnPlace<S extends ChainState> = S['hasSteps'] extends true
  ? DslTypeError<'cancelOn() belongs right after .on(), before the first step'>
  : unknown

/**
 * A workflow with a trigger. Every method returns a new builder over a frozen copy, so a
 * half-built chain can be branched into several workflows.
 *
 * @example
 * ```ts
 * export const incident = workflow('incident-on-missed-heartbeat')
 *   .on(heartbeatMissed)
 *   .delay('5m')
 *   .when(stillDown)
 *   .do(createIncident)
 * ```
 */
export interface WorkflowBuilder<S extends ChainState, TKey extends string = string>
  extends StepMethods<TKey, S>,
    WorkflowSettings<WorkflowBuilder<S, TKey>> {
  /**
   * The stable key given to `workflow(key)`. It comes first and keeps its literal type on
   * purpose: TypeScript compares the element types of an array literal pairwise, and a distinct
   * literal as the first literal-typed property lets it tell two workflows apart without
   * comparing their steps, so `sync({ workflows: [...] })` checks in linear time.
   */
  readonly key: TKey
  readonly kind: 'workflow'
  /**
   * Sets the workflow config. Set it before the handlers that read it; a later call must keep
   * the earlier fields' types, because handlers already added rely on them.
   */
  config<C extends JsonObject & S['config']>(config: C, options?: ConfigOptions): WorkflowBuilder<WithConfig<S, C>, TKey>
  /**
   * Cancels a run of this workflow, as `engine.cancelRun` would, when a signal of `trigger`
   * arrives that has the run's trigger's values at every `match` path (stored after the run
   * started, while the run is still active). Call it right after `.on()`, before the first step;
   * several are allowed.
   *
   * @example
   * ```ts
   * workflow('dunning').on(invoiceOverdue).cancelOn(invoicePaid, { match: 'payload.invoiceId' }).delay('3d')
   * ```
   */
  cancelOn<T extends AnyTrigger, const M extends MatchInput>(
    trigger: T & CancelOnPlace<S>,
    options: CancelOnOptions<M & MatchCheck<M, S['payload'] | PayloadOf<T>>>,
  ): WorkflowBuilder<S, TKey>
  /**
   * At most `limit` runs of this workflow active at once per key (default key: the tenant; a
   * `key` path counts per value within the tenant). What happens to a run over the limit is
   * `mode`: `'queue'` (default) waits for a slot, `'skip'` starts no run, `'cancel-running'`
   * cancels the active run and starts the new one. Call it right after `.on()`, before the
   * first step, once per workflow; its key path must be a field of the trigger's payload.
   *
   * @example
   * ```ts
   * workflow('sync-account').on(accountChanged).concurrency({ limit: 1, key: 'payload.accountId', mode: 'cancel-running' }).do(syncAccount)
   * ```
   */
  concurrency<const K extends string = never>(
    options: ConcurrencyOptions<K & FlowKeyCheck<K, S['payload']>> & FlowPlace<S, 'concurrency'>,
  ): WorkflowBuilder<S, TKey>
  /**
   * At most `limit` run starts per period (`per`) per key; runs over the limit wait and start
   * later, in order. Right after `.on()`, once per workflow.
   *
   * @example
   * ```ts
   * workflow('send-digest').on(digestRequested).throttle({ limit: 10, per: '1m', key: 'resourceId' }).do(sendDigest)
   * ```
   */
  throttle<const K extends string = never>(
    options: StartLimitOptions<K & FlowKeyCheck<K, S['payload']>> & FlowPlace<S, 'throttle'>,
  ): WorkflowBuilder<S, TKey>
  /**
   * At most `limit` run starts per period (`per`) per key, like `.throttle()`, but a signal over
   * the limit starts no run. Right after `.on()`, once per workflow.
   *
   * @example
   * ```ts
   * workflow('notify-owner').on(errorReported).rateLimit({ limit: 1, per: '1h', key: 'payload.projectId' }).do(notifyOwner)
   * ```
   */
  rateLimit<const K extends string = never>(
    options: StartLimitOptions<K & FlowKeyCheck<K, S['payload']>> & FlowPlace<S, 'rateLimit'>,
  ): WorkflowBuilder<S, TKey>
  /**
   * Signals of one key that come within `wait` of each other start one run, once `wait` has
   * passed without another, with the last signal as its trigger; `maxWait` bounds the delay from
   * the first one. Right after `.on()`, once per workflow.
   *
   * @example
   * ```ts
   * workflow('reindex').on(documentEdited).debounce({ wait: '5s', maxWait: '1m', key: 'resourceId' }).do(reindex)
   * ```
   */
  debounce<const K extends string = never>(
    options: DebounceOptions<K & FlowKeyCheck<K, S['payload']>> & FlowPlace<S, 'debounce'>,
  ): WorkflowBuilder<S, TKey>
  /**
   * Among a tenant's waiting runs, those of higher priority start first: 1 to 10, 5 when not
   * set. Right after `.on()`, once per workflow.
   *
   * @example
   * ```ts
   * workflow('password-reset').on(resetRequested).priority(9).do(sendResetEmail)
   * ```
   */
  priority<const N extends number>(priority: N & PriorityCheck<N> & FlowPlace<S, 'priority'>): WorkflowBuilder<S, TKey>
  /**
   * Returns the workflow as plain, validated {@link WorkflowSpec} JSON. Throws a
   * PulseValidationError if it breaks a rule only visible on the whole workflow, such as an
   * `onFalse` that skips past the last step.
   */
  compile(...args: CompileArgs<S>): WorkflowSpec
}

interface WorkflowProps {
  readonly key: string
  readonly name?: string
  readonly description?: string
  readonly trigger?: TriggerDef<string, unknown>
  readonly environmentFilter?: string
  readonly resourceTypeFilter?: string
  readonly config: JsonObject
  readonly configSchema?: z.ZodType<JsonObject>
  readonly cronExpression?: string
  readonly cronTimezone?: string
  readonly isEnabled: boolean
  /** `.cancelOn()` entries, in call order, with the trigger each names. */
  readonly cancelOn: readonly { readonly trigger: TriggerDef<string, unknown, unknown>; readonly entry: CancelOn }[]
  /** What the flow methods set so far, as compiled JSON. */
  readonly flow: FlowControl
  readonly chain: ChainProps
}

/** The single implementation behind {@link WorkflowStart} and {@link WorkflowBuilder}. */
export class WorkflowBuilderImpl {
  readonly kind = 'workflow'

  constructor(readonly props: WorkflowProps) {
    Object.freeze(this)
  }

  get key(): string {
    return this.props.key
  }

  name(name: string): WorkflowBuilderImpl {
    this.fail(fieldIssues('name', name))
    return this.with({ name })
  }

  description(description: string): WorkflowBuilderImpl {
    this.fail(fieldIssues('description', description))
    return this.with({ description })
  }

  config(config: JsonObject, options?: ConfigOptions): WorkflowBuilderImpl {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      this.fail([{ path: ['config'], message: 'config must be a plain object such as { severity: "high" }' }])
    }
    const schema = options?.schema ?? this.props.configSchema
    if (schema) this.fail(configIssues(schema, config))
    return this.with({ config: deepFreeze(structuredClone(config)), ...(schema ? { configSchema: schema } : {}) })
  }

  cron(expression: string, options?: CronOptions): WorkflowBuilderImpl {
    const timezone = options?.timezone
    const problem = typeof expression === 'string' ? cronProblem(expression, timezone) : 'cron expression must be a string'
    if (problem) this.fail([{ path: [problem.startsWith('time zone') ? 'cronTimezone' : 'cronExpression'], message: problem }])
    return this.with({ cronExpression: expression, ...(timezone !== undefined ? { cronTimezone: timezone } : {}) })
  }

  disabled(): WorkflowBuilderImpl {
    return this.with({ isEnabled: false })
  }

  on(trigger: TriggerDef<string, unknown>, filters?: TriggerFilters): WorkflowBuilderImpl {
    const issues: ValidationIssue[] = []
    if (this.props.trigger) issues.push({ path: ['triggerType'], message: 'on() was already called; a workflow has one trigger' })
    if (typeof trigger !== 'object' || trigger === null || trigger.kind !== 'trigger') {
      issues.push({ path: ['triggerType'], message: 'on() takes a trigger made with trigger("type", { source })' })
    }
    if (filters?.environment !== undefined && (typeof filters.environment !== 'string' || filters.environment === '')) {
      issues.push({ path: ['environmentFilter'], message: 'environment filter must be a non-empty string; leave it out to match every environment' })
    }
    if (filters?.resourceType !== undefined && (typeof filters.resourceType !== 'string' || filters.resourceType === '')) {
      issues.push({ path: ['resourceTypeFilter'], message: 'resourceType filter must be a non-empty string; leave it out to match every resource type' })
    }
    this.fail(issues)
    return this.with({
      trigger,
      ...(filters?.environment !== undefined ? { environmentFilter: filters.environment } : {}),
      ...(filters?.resourceType !== undefined ? { resourceTypeFilter: filters.resourceType } : {}),
    })
  }

  do(first: unknown, second?: unknown, third?: unknown): WorkflowBuilderImpl {
    return this.withChain(() => chainDo(this.props.chain, first, second, third))
  }

  when(first: unknown, second?: unknown, third?: unknown): WorkflowBuilderImpl {
    return this.withChain(() => chainWhen(this.props.chain, first, second, third))
  }

  delay(duration: unknown, options?: RawStepOptions): WorkflowBuilderImpl {
    return this.withChain(() => addDelay(this.props.chain, duration, options))
  }

  waitFor(name: unknown, triggers: unknown, options?: RawWaitOptions): WorkflowBuilderImpl {
    return this.withChain(() => addWait(this.props.chain, name, triggers, options))
  }

  parallel(name: unknown, ...branches: unknown[]): WorkflowBuilderImpl {
    return this.withChain(() => chainParallel(this.props.chain, name, branches))
  }

  cancelOn(trigger: unknown, options?: { match?: unknown }): WorkflowBuilderImpl {
    const at = ['cancelOn', this.props.cancelOn.length]
    const issues: ValidationIssue[] = []
    if (!this.props.trigger) issues.push({ path: at, message: 'call .on(trigger) before cancelOn(); its match paths are read against the trigger' })
    if (this.props.chain.steps.length > 0) issues.push({ path: at, message: 'cancelOn() belongs right after .on(), before the first step' })
    const isTrigger = typeof trigger === 'object' && trigger !== null && (trigger as { kind?: unknown }).kind === 'trigger'
    if (!isTrigger) issues.push({ path: [...at, 'signalType'], message: 'cancelOn takes a trigger made with trigger("type", { source })' })
    if (typeof options !== 'object' || options === null) {
      issues.push({ path: at, message: 'cancelOn needs options: { match }' })
      this.fail(issues)
    }
    const extra = Object.keys(options!).filter((key) => key !== 'match')
    if (extra.length > 0) issues.push({ path: at, message: `unknown option${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}; cancelOn accepts "match"` })
    const def = trigger as TriggerDef<string, unknown, unknown>
    // match is kept as written, so a problem is reported where it is; compile() stores it as a list.
    const entry = { signalType: isTrigger ? def.type : '', match: options!.match } as CancelOn
    if (isTrigger) {
      const parsed = workflowSpecSchema.shape.cancelOn.safeParse([...this.props.cancelOn.map((c) => c.entry), entry])
      if (!parsed.success) issues.push(...zodIssuesAt(['cancelOn'], parsed.error))
    }
    this.fail(issues)
    return this.with({ cancelOn: Object.freeze([...this.props.cancelOn, Object.freeze({ trigger: def, entry: deepFreeze(entry) })]) })
  }

  concurrency(options: unknown): WorkflowBuilderImpl {
    return this.withFlow('concurrency', options)
  }

  throttle(options: unknown): WorkflowBuilderImpl {
    return this.withFlow('throttle', options)
  }

  rateLimit(options: unknown): WorkflowBuilderImpl {
    return this.withFlow('rateLimit', options)
  }

  debounce(options: unknown): WorkflowBuilderImpl {
    return this.withFlow('debounce', options)
  }

  priority(priority: unknown): WorkflowBuilderImpl {
    return this.withFlow('priority', priority)
  }

  compile(): WorkflowSpec {
    const p = this.props
    if (!p.trigger) this.fail([{ path: ['triggerType'], message: 'the workflow has no trigger; call .on(trigger) before compile()' }])
    const spec: WorkflowSpec = {
      key: p.key,
      name: p.name ?? p.key,
      ...(p.description !== undefined ? { description: p.description } : {}),
      triggerType: p.trigger?.type ?? '',
      ...(p.environmentFilter !== undefined ? { environmentFilter: p.environmentFilter } : {}),
      ...(p.resourceTypeFilter !== undefined ? { resourceTypeFilter: p.resourceTypeFilter } : {}),
      steps: p.chain.steps as WorkflowSpec['steps'],
      config: p.config,
      ...(p.cronExpression !== undefined ? { cronExpression: p.cronExpression } : {}),
      ...(p.cronTimezone !== undefined ? { cronTimezone: p.cronTimezone } : {}),
      ...(p.cancelOn.length > 0 ? { cancelOn: p.cancelOn.map((c) => c.entry) as CancelOn[] } : {}),
      ...(Object.keys(p.flow).length > 0 ? { flow: p.flow } : {}),
      isEnabled: p.isEnabled,
    }
    // validateDefinition returns a fresh, unfrozen clone, so callers may change what they get.
    return validateDefinition(spec)
  }

  /** Sets one flow setting, checked at once with validateDefinition's rules, at its path in the spec. */
  private withFlow(setting: FlowSetting, options: unknown): WorkflowBuilderImpl {
    const at = ['flow', setting]
    const issues: ValidationIssue[] = []
    if (!this.props.trigger) issues.push({ path: at, message: `call .on(trigger) before ${setting}(); flow control belongs right after it` })
    if (this.props.chain.steps.length > 0) issues.push({ path: at, message: `${setting}() belongs right after .on(), before the first step` })
    if (this.props.flow[setting] !== undefined) issues.push({ path: at, message: `${setting}() was already called on this workflow; call it once` })
    const read = readFlowSetting(setting, options)
    this.fail([...issues, ...read.issues])
    return this.with({ flow: deepFreeze({ ...this.props.flow, [setting]: read.value }) })
  }

  private withChain(add: () => ChainProps): WorkflowBuilderImpl {
    if (!this.props.trigger) {
      this.fail([{ path: ['steps'], message: 'call .on(trigger) before adding steps; handlers are typed by the trigger payload' }])
    }
    return this.with({ chain: add() })
  }

  private with(patch: Partial<WorkflowProps>): WorkflowBuilderImpl {
    return new WorkflowBuilderImpl(Object.freeze({ ...this.props, ...patch }))
  }

  private fail(issues: ValidationIssue[]): void {
    throwIfAny(this.props.chain.subject, issues)
  }
}

/**
 * Starts a workflow under a stable key. The key identifies the workflow across deploys: sync
 * updates the stored definition with the same key instead of adding a new one.
 *
 * @example
 * ```ts
 * export const incident = workflow('incident-on-missed-heartbeat')
 *   .name('Incident on missed heartbeat')
 *   .on(heartbeatMissed, { environment: 'production' })
 *   .delay('5m')
 *   .when(stillDown)
 *   .do(createIncident, { retry: { maxAttempts: 3, backoff: '5s' } })
 * ```
 */
export function workflow<const TKey extends string>(key: TKey, options?: WorkflowOptions): WorkflowStart<JsonObject, TKey> {
  const subject = typeof key === 'string' && key.length > 0 ? `workflow "${key}"` : 'workflow'
  throwIfAny(subject, fieldIssues('key', key))
  if (options?.name !== undefined) throwIfAny(subject, fieldIssues('name', options.name))
  if (options?.description !== undefined) throwIfAny(subject, fieldIssues('description', options.description))
  const start = new WorkflowBuilderImpl(
    Object.freeze({
      key,
      config: Object.freeze({}),
      isEnabled: options?.enabled ?? true,
      ...(options?.name !== undefined ? { name: options.name } : {}),
      ...(options?.description !== undefined ? { description: options.description } : {}),
      cancelOn: Object.freeze([]),
      flow: Object.freeze({}),
      chain: emptyChain(subject, ['steps'], 0, new Map()),
    }),
  )
  if (options?.enabled !== undefined && typeof options.enabled !== 'boolean') {
    throwIfAny(subject, [{ path: ['isEnabled'], message: 'enabled must be true or false' }])
  }
  return start as unknown as WorkflowStart<JsonObject, TKey>
}

/** Checks one top-level field with the same rules (and messages) validateDefinition uses. */
function fieldIssues(field: 'key' | 'name' | 'description', value: unknown): ValidationIssue[] {
  const parsed = workflowSpecSchema.shape[field].safeParse(value)
  // One field has one problem worth fixing first; an empty key need not also be told about its pattern.
  return parsed.success ? [] : zodIssuesAt([field], parsed.error).slice(0, 1)
}

/** Problems of a config against the workflow's config schema, as validation issues under `config`. */
export function configIssues(schema: z.ZodType<JsonObject>, config: unknown): ValidationIssue[] {
  const parsed = schema.safeParse(config)
  if (parsed.success) return []
  return parsed.error.issues.map((issue) => ({
    path: ['config', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: issue.message,
  }))
}
