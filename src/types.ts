import type { CancelOn, FlowControl, StepType, WorkflowSpec, WorkflowStep } from './definition/types.js'
import type { TriggerDef } from './dsl/trigger.js'

export type {
  CancelOn,
  ConcurrencyLimit,
  ConcurrencyMode,
  DebounceWindow,
  FlowControl,
  MatchPath,
  OnFalse,
  OnTimeout,
  RateLimit,
  RetryPolicy,
  StepType,
  ThrottleLimit,
  WorkflowSpec,
  WorkflowStep,
} from './definition/types.js'

/** A JSON object: what payloads, configs, step outputs and log data are made of. */
export type JsonObject = Record<string, unknown>

/** A signal as the application emits it. */
export interface TriggerInput<TPayload = JsonObject> {
  tenantId: string
  /** The emitting system; defaults to the source the trigger type was registered with. */
  source?: string
  type: string
  resourceType?: string
  resourceId?: string
  environment?: string
  payload?: TPayload
  /**
   * Makes the emit idempotent: within the engine's `idempotencyWindowMs` (default 24 h), another
   * emit of the same tenant with this key writes nothing and returns the first signal, with
   * `deduplicated: true`; one with the same key but a different signal is refused with a
   * `PulseConflictError` (`IDEMPOTENCY_KEY_REUSED`). 1 to 200 characters, for instance the
   * `Idempotency-Key` header of the request or the id of the webhook delivery being handled.
   */
  idempotencyKey?: string
  /**
   * Overrides the matched workflows' `priority` (1 to 10, higher first) for the runs this signal
   * starts, among the tenant's runs that wait for flow control.
   */
  priority?: number
}

/** A signal after it was persisted: it has an id (`trg_...`) and a creation time. */
export interface TriggerEnvelope<TPayload = JsonObject> {
  id: string
  tenantId: string
  source: string
  type: string
  resourceType?: string
  resourceId?: string
  environment?: string
  payload: TPayload
  createdAt: Date
}

/**
 * What a signal did to runs that were already going: the waits it resolved and the runs it
 * canceled (through their workflow's `cancelOn`).
 */
export interface SignalEffects {
  resolvedWaits: { runId: string; stepName: string }[]
  canceledRuns: { runId: string; workflowKey: string | null }[]
}

/** A run an emitted signal started: see {@link EmitResult}. */
export interface StartedRun {
  runId: string
  /** Key of the workflow (its DSL key); null for a definition created without a key. */
  workflowKey: string | null
  definitionId: string
  /**
   * Why the run did not start at once: `concurrency` (it waits for a slot), `throttle` (it starts
   * at its throttle's next free time), `debounce` (it starts once its debounce window is quiet).
   */
  heldBy?: 'concurrency' | 'throttle' | 'debounce'
}

/** A stored signal as getTrigger reads it: the signal and the starts its workflows' flow control skipped. */
export interface StoredSignal extends TriggerEnvelope {
  skipped: SkippedStartInfo[]
}

/** A workflow a signal matched but started no run of: `rate_limited`, `concurrency_skip`, or `debounced` into `runId`. */
export interface SkippedStartInfo {
  workflowKey: string | null
  definitionId: string
  reason: 'rate_limited' | 'concurrency_skip' | 'debounced'
  /** For `debounced`: the run that stands for this signal and the others of its window. */
  runId?: string
}

/**
 * What `emit` returns: the stored signal and what it did. `runs` lists the run started for each
 * enabled workflow it matched (none: nothing matched; run `pulse sync` if you expected one).
 * `deduplicated` is true when an earlier emit with the same `idempotencyKey` already stored the
 * signal: the envelope and `runs` are then the first emit's, and nothing was written.
 * `resolvedWaits` and `canceledRuns` say what it did to runs already going (empty when
 * deduplicated: that was the first emit's doing).
 *
 * @example
 * ```ts
 * const result = await engine.emit(invoicePaid, { tenantId: 'workspace_1', payload, idempotencyKey: event.id })
 * if (result.deduplicated) console.log(`already handled as ${result.id}`)
 * for (const { workflowKey, runId } of result.runs) console.log(`${workflowKey} started as ${runId}`)
 * ```
 */
export interface EmitResult extends TriggerEnvelope, SignalEffects {
  /**
   * The runs the signal started, one per matching enabled workflow, by run id. A run that waits
   * for flow control (a concurrency slot, its throttle's next start) is listed with `heldBy`.
   */
  runs: StartedRun[]
  /** The matching workflows this signal started no run of, under their flow control, and why. */
  skipped: SkippedStartInfo[]
  /** True when an earlier emit with the same idempotency key stored this signal; nothing was written now. */
  deduplicated: boolean
}

/** A workflow stored for one tenant. */
export interface WorkflowDefinition extends Omit<WorkflowSpec, 'key'> {
  id: string
  tenantId: string
  /** Key of the code-defined workflow this came from; `null` for one made with createWorkflow without a key. */
  key: string | null
  /** Increases by one each time sync stores a changed version under the same key. */
  version: number
  /** Content hash of the definition's steps, filters, config and schedule. */
  hash: string
  createdAt: Date
  updatedAt: Date
}

/** The part of a definition a run froze when it was created; it runs these steps even if the definition changes. */
export interface DefinitionSnapshot {
  id: string
  key: string | null
  version: number
  name: string
  triggerType: string
  steps: WorkflowStep[]
  config: JsonObject
  cancelOn?: CancelOn[]
  /** The workflow's flow control when the run was created. */
  flow?: FlowControl
}

export type WorkflowStatus = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'canceled'

export interface WorkflowRun {
  id: string
  definitionId: string
  tenantId: string
  triggerId: string
  status: WorkflowStatus
  /**
   * Set while flow control holds the run (pending) back: its workflow's concurrency limit (until
   * a slot frees), its throttle (until its allotted start) or its debounce (until the quiet period
   * after the last signal ends).
   */
  heldBy?: 'concurrency' | 'throttle' | 'debounce'
  /** Outputs of completed actions, keyed by step name. */
  context: JsonObject
  currentStepIndex: number
  isReplay: boolean
  definitionSnapshot: DefinitionSnapshot
  /** Why the run failed: the failing step and its last error. */
  errorMessage?: string
  startedAt?: Date
  completedAt?: Date
  failedAt?: Date
  canceledAt?: Date
  cancelReason?: string
  createdAt: Date
  updatedAt: Date
}

export type StepStatus = 'pending' | 'scheduled' | 'running' | 'completed' | 'failed' | 'skipped'

export interface WorkflowStepRun {
  id: string
  runId: string
  tenantId: string
  stepIndex: number
  stepType: StepType
  stepName: string
  status: StepStatus
  /** Attempt number of the latest claim; 0 before the first claim. */
  attempt: number
  scheduledFor?: Date
  startedAt?: Date
  completedAt?: Date
  result?: JsonObject
  errorMessage?: string
  branchIndex?: number
  parentStepRunId?: string
  createdAt: Date
}

export type LogLevel = 'info' | 'warn' | 'error'

export interface ExecutionLog {
  id: string
  runId: string
  stepRunId?: string
  /** Name of the step that wrote the line (`ctx.log` in its handler, or the engine about its retries). */
  stepName?: string
  tenantId: string
  level: LogLevel
  message: string
  data?: JsonObject
  createdAt: Date
}

export type TimelineEntryType =
  | 'run_created'
  | 'run_completed'
  | 'run_failed'
  | 'run_canceled'
  | 'step_scheduled'
  | 'step_started'
  | 'step_completed'
  | 'step_failed'
  | 'step_skipped'
  /** A wait step began waiting for a signal (detail: signal types, match values, timeout). */
  | 'wait_started'
  /** A wait step's signal arrived (detail: the signal's id). */
  | 'signal_received'
  /** A wait step's timeout passed first. */
  | 'wait_timed_out'
  | 'log'

export interface RunTimelineEntry {
  timestamp: Date
  type: TimelineEntryType
  stepIndex?: number
  stepName?: string
  stepType?: string
  detail?: JsonObject
}

/** What an action returns. Returning nothing counts as `{ success: true }`. */
export interface ActionResult<TData extends JsonObject = JsonObject> {
  success: boolean
  data?: TData
  error?: string
}

/**
 * Writes to the run's execution log (and timeline). Call it as a function for `info`,
 * or use `.warn` / `.error`.
 */
export interface StepLogger {
  (message: string, data?: JsonObject): void
  info(message: string, data?: JsonObject): void
  warn(message: string, data?: JsonObject): void
  error(message: string, data?: JsonObject): void
}

/**
 * What every action and condition handler receives.
 *
 * @typeParam TPayload - the trigger's payload, inferred from its zod schema in the DSL
 * @typeParam TSteps - outputs of the steps that ran before this one, keyed by step name
 * @typeParam TConfig - the workflow's config
 */
export interface HandlerContext<
  TPayload = JsonObject,
  TSteps = Record<string, JsonObject | undefined>,
  TConfig = JsonObject,
> {
  tenantId: string
  trigger: TriggerEnvelope<TPayload>
  run: WorkflowRun
  step: WorkflowStepRun
  /** Outputs of earlier actions, keyed by step name (the same object as `run.context`). */
  steps: TSteps
  config: TConfig
  isReplay: boolean
  /**
   * The ids of the signals this run stands for, oldest first: for a workflow with `.debounce()`,
   * every signal its debounce window folded in (`trigger` is the last of them); otherwise just
   * `trigger.id`.
   */
  debounced: string[]
  /** Emits another signal for workflow chaining; resolves once it is persisted. See {@link HandlerEmit}. */
  emit: HandlerEmit
  log: StepLogger
  /** Aborted when the step times out, the run is canceled or the engine shuts down. */
  signal: AbortSignal
  /**
   * The current time: the system clock, or under `pulse-engine/testing` the test's virtual clock
   * (the same time the engine's own timestamps and due times use). Read time through this in
   * handlers you want to test with the virtual clock.
   *
   * @example
   * ```ts
   * .do('stamp', (ctx) => ({ success: true, data: { at: ctx.now().toISOString() } }))
   * ```
   */
  now(): Date
}

/** The fields of a typed `ctx.emit(trigger, input)`: `type` and `source` come from the trigger. */
export interface HandlerEmitInput<TPayload> {
  /** The tenant the signal belongs to; default: the tenant of the run whose handler emits it. */
  tenantId?: string
  resourceId?: string
  resourceType?: string
  environment?: string
  payload: TPayload
  /** Your own idempotency key instead of the one derived from the run, the step and the call's order (see {@link HandlerEmit}). */
  idempotencyKey?: string
}

/**
 * `ctx.emit`: emits another signal for workflow chaining and resolves once it is persisted, like
 * `engine.emit`. Given a trigger, the payload is typed by the input of the trigger's schema and
 * checked against the schema when the signal is emitted; the tenant defaults to the run's. The
 * form that takes a plain signal object stays for workflows stored as JSON.
 *
 * Idempotent across re-executions: a handler runs again for the same step after a crash, a lease
 * takeover or a retry, and its n-th `ctx.emit` then returns the signal its n-th `ctx.emit` stored
 * the first time (`deduplicated: true`) instead of starting the chained runs again. The key is
 * derived from the run, the step's position and the call's order within the execution, so keep
 * the order of a handler's `ctx.emit` calls deterministic. A re-execution whose signal differs
 * (a payload with a timestamp computed anew, say) gets the first signal back, not an error: the
 * first execution's signal is the one that was acted on. Pass `idempotencyKey` to choose the key
 * yourself; a different signal under your own key is then refused as for `engine.emit`. Keys
 * last the engine's `idempotencyWindowMs` (default 24 h).
 *
 * @example
 * ```ts
 * .do('place_follow_up', async (ctx) => {
 *   const { runs } = await ctx.emit(orderPlaced, { payload: { orderId: ctx.trigger.payload.orderId } })
 *   return { success: true, data: { followUps: runs.map((r) => r.runId) } }
 * })
 * ```
 */
export interface HandlerEmit {
  <I>(trigger: TriggerDef<string, unknown, I>, input: NoInfer<HandlerEmitInput<I>>): Promise<EmitResult>
  (input: TriggerInput): Promise<EmitResult>
}

/** The original design's name for the handler context. */
export type WorkflowContext = HandlerContext

export type ActionHandler<TPayload = JsonObject, TData extends JsonObject = JsonObject> = (
  ctx: HandlerContext<TPayload>,
) => Promise<ActionResult<TData> | void> | ActionResult<TData> | void

export type ConditionHandler<TPayload = JsonObject> = (ctx: HandlerContext<TPayload>) => Promise<boolean> | boolean

export interface ActionOptions {
  /** Whether the action may run again when its signal is replayed. Default `false`: replays skip it. */
  replaySafe: boolean
}

export interface ReplayOptions {
  dryRun?: boolean
}

export interface StepCompleteEvent {
  run: WorkflowRun
  step: WorkflowStepRun
}

export interface RunCompleteEvent {
  run: WorkflowRun
  status: 'completed' | 'failed' | 'canceled'
}

/** A lifecycle hook. It may throw or hang: the run does not wait for it or notice. */
export type LifecycleHook<TEvent> = (event: TEvent) => void | Promise<void>

/** The methods of a pino-compatible logger that the engine uses. */
export interface EngineLogger {
  debug(obj: object | string, msg?: string): void
  info(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  error(obj: object | string, msg?: string): void
}
