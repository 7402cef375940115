import type { SyncOptions } from '../runtime/sync-workflows.js'
import type { z } from 'zod'
import type { AnyWorkflow, TriggerDef } from '../dsl/index.js'
import type { RedisPolicyReport } from '../queue/redis-policy.js'
import type { SyncPlan } from '../runtime/sync.js'
import type { VerifyOptions, VerifyReport } from '../runtime/verify.js'
import type {
  ActionHandler,
  ConditionHandler,
  EmitResult,
  ExecutionLog,
  JsonObject,
  ReplayOptions,
  RunTimelineEntry,
  StoredSignal,
  TriggerEnvelope,
  TriggerInput,
  WorkflowDefinition,
  WorkflowRun,
  WorkflowSpec,
  WorkflowStatus,
  WorkflowStepRun,
} from '../types.js'

/** What `registerTrigger` takes: where the signal comes from and, optionally, its payload schema. */
export interface TriggerRegistrationInput {
  source: string
  resourceType?: string
  payloadSchema?: z.ZodType
}

/** A workflow to store for one tenant: a compiled spec (`key` optional) plus `tenantId`. */
export type CreateWorkflowInput = Omit<WorkflowSpec, 'key'> & { key?: string; tenantId: string }

/** The fields of a typed emit: everything but `type` and `source`, which come from the trigger. */
export interface TypedEmitInput<TPayload> {
  tenantId: string
  resourceId?: string
  resourceType?: string
  environment?: string
  payload: TPayload
  /** See {@link TriggerInput.idempotencyKey}: a second emit with this key returns the first signal instead of storing another. */
  idempotencyKey?: string
  /** See {@link TriggerInput.priority}: 1 to 10, overriding the workflows' own priority. */
  priority?: number
}


export interface ListRunsFilter {
  tenantId?: string
  status?: WorkflowStatus
  workflowKey?: string
  limit?: number
}

/** What {@link Engine.listSignals} takes. */
export interface ListSignalsFilter {
  tenantId?: string
  /** Only signals of this type, e.g. `user.signed_up`. */
  type?: string
  /** At most this many, newest first (default 100). */
  limit?: number
}

/** What {@link Engine.listWorkflows} takes. */
export interface ListWorkflowsFilter {
  tenantId?: string
  /** Only the definition stored under this key (one per tenant). */
  key?: string
}

/** What {@link Engine.health} found: whether this engine's tables and queue backend are ready for work. */
export interface EngineHealth {
  mode: 'redis' | 'postgres' | 'embedded'
  /** Schema version of the engine's tables: null when they do not exist; `latest` is what this version needs. */
  schema: { version: number | null; latest: number; upToDate: boolean }
  /**
   * Redis mode only: Redis's `maxmemory-policy`. `ok: true` means `noeviction`; `false` names the
   * policy that lets Redis delete queued jobs; `'unknown'` says why it could not be read (managed
   * services sometimes disable CONFIG).
   */
  redisPolicy?: RedisPolicyReport
}

export type { SyncPlan, SyncPlanEntry } from '../runtime/sync.js'
export type { SyncOptions } from '../runtime/sync-workflows.js'

/** Which deployment an engine runs in, and where. */
export interface EngineInfo {
  mode: 'redis' | 'postgres' | 'embedded'
  tablePrefix: string
  queuePrefix: string
  /**
   * Embedded mode: the loopback URL the in-process database is served on while the engine runs,
   * for psql or another engine. A second engine on the same `dataDir` (in this process or
   * another) connects to the folder's owner, and this is the owner's URL.
   */
  databaseUrl?: string
  /**
   * Embedded mode: the data folder (false in memory), and whether this engine's process owns it
   * (runs PGlite on it) or is a client of the process that does.
   */
  embedded?: { dataDir: string | false; role: 'owner' | 'client'; owner: { pid: number; command: string } }
}

/**
 * The engine seen by one tenant (see {@link Engine.forTenant}): the same read and operate
 * methods, every one scoped to the tenant. Ids of another tenant's runs, signals and workflows
 * behave exactly as ids that do not exist: reads return null or [], operations throw
 * PulseNotFoundError.
 */
export interface TenantEngine {
  readonly tenantId: string
  /** Emits a signal for this tenant; a `tenantId` in the input must be this tenant's or be left out. */
  emit(input: Omit<TriggerInput, 'tenantId'> & { tenantId?: string }): Promise<EmitResult>
  emit<I>(trigger: TriggerDef<string, unknown, I>, input: NoInfer<Omit<TypedEmitInput<I>, 'tenantId'> & { tenantId?: string }>): Promise<EmitResult>
  createWorkflow(definition: Omit<CreateWorkflowInput, 'tenantId'> & { tenantId?: string }): Promise<WorkflowDefinition>
  sync(options: Omit<SyncOptions, 'tenantId'> & { tenantId?: string }): Promise<SyncPlan>
  enableWorkflow(definitionId: string): Promise<void>
  disableWorkflow(definitionId: string): Promise<void>
  getRun(runId: string): Promise<WorkflowRun | null>
  getRunSteps(runId: string): Promise<WorkflowStepRun[]>
  getRunsByTrigger(triggerId: string): Promise<WorkflowRun[]>
  getTrigger(triggerId: string): Promise<StoredSignal | null>
  getRunTimeline(runId: string): Promise<RunTimelineEntry[]>
  getRunLogs(runId: string): Promise<ExecutionLog[]>
  listRuns(filter?: Omit<ListRunsFilter, 'tenantId'>): Promise<WorkflowRun[]>
  listSignals(filter?: Omit<ListSignalsFilter, 'tenantId'>): Promise<TriggerEnvelope[]>
  listWorkflows(filter?: Omit<ListWorkflowsFilter, 'tenantId'>): Promise<WorkflowDefinition[]>
  getFailedRuns(): Promise<WorkflowRun[]>
  cancelRun(runId: string, reason?: string): Promise<WorkflowRun>
  retryRun(runId: string): Promise<WorkflowRun>
  replay(triggerId: string, options?: ReplayOptions): Promise<WorkflowRun[]>
  /** {@link Engine.verify} limited to this tenant's runs. */
  verify(options?: Omit<VerifyOptions, 'tenantId'>): Promise<VerifyReport>
}

/**
 * A running pulse-engine: registers handlers, stores workflows, takes signals and executes runs.
 * Made by {@link createEngine}.
 */
export interface Engine {
  /**
   * Says which mode the engine runs in. In embedded mode this opens the database if needed.
   *
   * @example
   * ```ts
   * const { mode, databaseUrl } = await engine.info()
   * ```
   */
  info(): Promise<EngineInfo>
  /** Declares a signal type, its source and optionally a zod schema its payloads must satisfy. */
  registerTrigger(type: string, registration: TriggerRegistrationInput): void
  /** Registers the function an action step named `name` runs. */
  registerAction(name: string, handler: ActionHandler<JsonObject, JsonObject>, options?: { replaySafe?: boolean }): void
  /** Registers the function a condition step named `name` evaluates. */
  registerCondition(name: string, handler: ConditionHandler<JsonObject>): void
  /**
   * Registers what DSL workflows need in this process: their triggers and every handler they use.
   *
   * @example
   * ```ts
   * engine.register(incident, trialExpiration)
   * ```
   */
  register(...workflows: AnyWorkflow[]): void

  /** Creates the engine's tables, or brings them up to date. Safe to call on every start. */
  migrate(): Promise<void>
  /** Starts the workers of this process and the reconciler. */
  start(): Promise<void>
  /** Stops taking work, lets running handlers finish within the grace period, and hands back the rest. */
  stop(): Promise<void>

  /**
   * Stores a workflow for a tenant after checking it with validateDefinition.
   *
   * @example
   * ```ts
   * await engine.createWorkflow({ ...incident.compile(), tenantId: 'workspace_1' })
   * ```
   */
  createWorkflow(definition: CreateWorkflowInput): Promise<WorkflowDefinition>
  /**
   * Makes a tenant's stored workflows match the code: creates new keys, stores a new version of
   * changed ones (runs in flight keep the version they started with), leaves the rest alone and,
   * with `prune`, disables keys that left the code. Returns the plan it carried out.
   *
   * @example
   * ```ts
   * const plan = await engine.sync({ tenantId: 'workspace_1', workflows: [incident, trialExpiration], prune: true })
   * console.log(plan.created, plan.updated, plan.unchanged, plan.disabled)
   * ```
   */
  sync(options: SyncOptions): Promise<SyncPlan>
  /**
   * Lets a stored workflow match signals again (and resumes its cron schedule). Throws
   * PulseNotFoundError for an unknown id.
   *
   * @example
   * ```ts
   * await engine.enableWorkflow(definition.id)
   * ```
   */
  enableWorkflow(definitionId: string): Promise<void>
  /**
   * Stops a stored workflow from matching new signals and pauses its cron schedule. Runs already
   * started go on. Throws PulseNotFoundError for an unknown id.
   *
   * @example
   * ```ts
   * await engine.disableWorkflow(definition.id)
   * ```
   */
  disableWorkflow(definitionId: string): Promise<void>

  /**
   * Persists a signal and starts a run for every enabled workflow of the tenant that matches it,
   * all in one statement; returns the stored signal with the runs it started (see
   * {@link EmitResult}). Given a trigger, the payload is typed by the input of its schema (fields
   * with `.default()` may be left out) and checked against the schema, which fills the defaults in.
   *
   * With an `idempotencyKey`, an emit that repeats one of the last `idempotencyWindowMs` (default
   * 24 h) for the same tenant writes nothing and returns the first signal and its runs with
   * `deduplicated: true`, however many arrive at once; the same key with a different signal is
   * refused with a `PulseConflictError` (code `IDEMPOTENCY_KEY_REUSED`), nothing written.
   *
   * @example
   * ```ts
   * await engine.emit({ tenantId: 'workspace_1', source: 'heartbeat', type: 'heartbeat.missed', payload: {} })
   * const { id, runs } = await engine.emit(heartbeatMissed, { tenantId: 'workspace_1', payload: { lastSeenAt: new Date().toISOString() } })
   * // A webhook delivered twice starts its runs once:
   * const result = await engine.emit(invoicePaid, { tenantId: 'workspace_1', payload, idempotencyKey: delivery.id })
   * if (result.deduplicated) console.log(`delivery ${delivery.id} was already stored as ${result.id}`)
   * ```
   */
  emit(input: TriggerInput): Promise<EmitResult>
  // The input type is read off the trigger's own type argument, not through PayloadInputOf (a
  // conditional type per call), and not inferred from the payload written, which must not widen it.
  emit<I>(trigger: TriggerDef<string, unknown, I>, input: NoInfer<TypedEmitInput<I>>): Promise<EmitResult>

  /**
   * A run with its status, context (the outputs of its steps so far) and definition snapshot, or
   * null when there is none.
   *
   * @example
   * ```ts
   * const run = await engine.getRun(runId)
   * if (run?.status === 'failed') console.error(run.errorMessage)
   * ```
   */
  getRun(runId: string): Promise<WorkflowRun | null>
  /**
   * The step rows of a run, one per step reached (branches included), in the order they were created.
   *
   * @example
   * ```ts
   * for (const step of await engine.getRunSteps(runId)) console.log(step.stepName, step.status, step.attempt)
   * ```
   */
  getRunSteps(runId: string): Promise<WorkflowStepRun[]>
  /**
   * The runs a signal started, oldest first (replays included).
   *
   * @example
   * ```ts
   * const signal = await engine.emit(userSignedUp, { tenantId: 'workspace_1', payload })
   * const runs = await engine.getRunsByTrigger(signal.id)
   * ```
   */
  getRunsByTrigger(triggerId: string): Promise<WorkflowRun[]>
  /**
   * A stored signal, or null when there is none, with the workflows it matched but started no
   * run of under their flow control (`skipped`, with the reason); its runs are in getRunsByTrigger.
   *
   * @example
   * ```ts
   * const signal = await engine.getTrigger(run.triggerId)
   * for (const s of signal?.skipped ?? []) console.log(`${s.workflowKey}: ${s.reason}`)
   * ```
   */
  getTrigger(triggerId: string): Promise<StoredSignal | null>
  /**
   * What happened to a run, in time order: created, each step started / completed / failed /
   * skipped, log lines, and how the run ended. Throws PulseNotFoundError for an unknown run.
   *
   * @example
   * ```ts
   * for (const entry of await engine.getRunTimeline(runId)) console.log(entry.timestamp, entry.type)
   * ```
   */
  getRunTimeline(runId: string): Promise<RunTimelineEntry[]>
  /**
   * The `ctx.log` lines of a run's handlers and the engine's notes on failed attempts, oldest first.
   *
   * @example
   * ```ts
   * const logs = await engine.getRunLogs(runId)
   * ```
   */
  getRunLogs(runId: string): Promise<ExecutionLog[]>
  /**
   * Runs, newest first, filtered by tenant, status and workflow key; at most `limit` (default 100).
   *
   * @example
   * ```ts
   * const waiting = await engine.listRuns({ tenantId: 'workspace_1', status: 'waiting', workflowKey: 'trial-expiration' })
   * ```
   */
  listRuns(filter?: ListRunsFilter): Promise<WorkflowRun[]>
  /**
   * Stored signals, newest first, filtered by tenant and type; at most `limit` (default 100).
   * `getRunsByTrigger` gives the runs each one started.
   *
   * @example
   * ```ts
   * const recent = await engine.listSignals({ tenantId: 'workspace_1', type: 'user.signed_up', limit: 20 })
   * ```
   */
  listSignals(filter?: ListSignalsFilter): Promise<TriggerEnvelope[]>
  /**
   * Stored workflow definitions (the version each key is at, enabled or not), by tenant then key.
   *
   * @example
   * ```ts
   * const [def] = await engine.listWorkflows({ tenantId: 'workspace_1', key: 'trial-expiration' })
   * if (def) await engine.disableWorkflow(def.id)
   * ```
   */
  listWorkflows(filter?: ListWorkflowsFilter): Promise<WorkflowDefinition[]>
  /**
   * Failed runs, newest first (up to 1,000), of one tenant or of all.
   *
   * @example
   * ```ts
   * for (const run of await engine.getFailedRuns('workspace_1')) await engine.retryRun(run.id)
   * ```
   */
  getFailedRuns(tenantId?: string): Promise<WorkflowRun[]>

  /**
   * Cancels a pending, running or waiting run: its remaining steps are skipped, its queued jobs
   * removed and a running handler's `ctx.signal` aborted.
   *
   * @example
   * ```ts
   * await engine.cancelRun(runId, 'customer churned')
   * ```
   */
  cancelRun(runId: string, reason?: string): Promise<WorkflowRun>
  /**
   * Retries a failed run from the step that failed, with fresh attempts; earlier results stay.
   *
   * @example
   * ```ts
   * const run = await engine.retryRun(failedRunId)
   * ```
   */
  retryRun(runId: string): Promise<WorkflowRun>
  /**
   * Matches a stored signal again against the tenant's current workflows and starts new runs
   * marked as replays. Actions not declared replay-safe are skipped; `dryRun` skips every action.
   *
   * @example
   * ```ts
   * const runs = await engine.replay(triggerId, { dryRun: true })
   * ```
   */
  replay(triggerId: string, options?: ReplayOptions): Promise<WorkflowRun[]>

  /**
   * The same API scoped to one tenant, for request handlers that act on behalf of a tenant: an
   * id that belongs to another tenant reads as null / [] and operations on it throw
   * PulseNotFoundError, so one tenant cannot even learn that another's ids exist.
   *
   * @example
   * ```ts
   * const scoped = engine.forTenant(req.workspaceId)
   * const run = await scoped.getRun(req.params.runId) // null for another workspace's run
   * ```
   */
  forTenant(tenantId: string): TenantEngine

  /**
   * Checks the engine's tables for states no run can get out of by itself, or that the engine's
   * transactions should never produce (see {@link VerifyReport}). Read-only.
   *
   * @example
   * ```ts
   * const report = await engine.verify()
   * if (!report.ok) console.error(report.problems)
   * ```
   */
  verify(options?: VerifyOptions): Promise<VerifyReport>
  /**
   * Checks what `start()` needs without starting anything: that the tables exist at the schema
   * version this engine needs and, in Redis mode, Redis's eviction policy. Throws
   * PulseDatabaseUnavailableError when Postgres cannot be reached. Read-only.
   *
   * @example
   * ```ts
   * const health = await engine.health()
   * if (!health.schema.upToDate) await engine.migrate()
   * ```
   */
  health(): Promise<EngineHealth>
}

export type { ConsistencyProblem, VerifyOptions, VerifyReport } from '../runtime/verify.js'
