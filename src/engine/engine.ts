import type { z } from 'zod'
import type { AnyWorkflow, PayloadOf, TriggerDef } from '../dsl/index.js'
import type {
  ActionHandler,
  ConditionHandler,
  ExecutionLog,
  JsonObject,
  ReplayOptions,
  RunTimelineEntry,
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
}

export interface ListRunsFilter {
  tenantId?: string
  status?: WorkflowStatus
  workflowKey?: string
  limit?: number
}

/**
 * A running pulse-engine: registers handlers, stores workflows, takes signals and executes runs.
 * Made by {@link createEngine}.
 */
export interface Engine {
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
  enableWorkflow(definitionId: string): Promise<void>
  disableWorkflow(definitionId: string): Promise<void>

  /**
   * Persists a signal and starts a run for every enabled workflow of the tenant that matches it.
   *
   * @example
   * ```ts
   * await engine.emit({ tenantId: 'workspace_1', source: 'heartbeat', type: 'heartbeat.missed', payload: {} })
   * await engine.emit(heartbeatMissed, { tenantId: 'workspace_1', payload: { lastSeenAt: new Date().toISOString() } })
   * ```
   */
  emit(input: TriggerInput): Promise<TriggerEnvelope>
  emit<T extends TriggerDef<string, unknown>>(trigger: T, input: TypedEmitInput<PayloadOf<T>>): Promise<TriggerEnvelope>

  getRun(runId: string): Promise<WorkflowRun | null>
  getRunSteps(runId: string): Promise<WorkflowStepRun[]>
  getRunsByTrigger(triggerId: string): Promise<WorkflowRun[]>
  getTrigger(triggerId: string): Promise<TriggerEnvelope | null>
  getRunTimeline(runId: string): Promise<RunTimelineEntry[]>
  getRunLogs(runId: string): Promise<ExecutionLog[]>
  listRuns(filter?: ListRunsFilter): Promise<WorkflowRun[]>
  getFailedRuns(tenantId?: string): Promise<WorkflowRun[]>

  /** Cancels a pending, running or waiting run. */
  cancelRun(runId: string, reason?: string): Promise<WorkflowRun>
  /** Retries a failed run from the step that failed. */
  retryRun(runId: string): Promise<WorkflowRun>
  /**
   * Matches a stored signal again against the tenant's current workflows and starts new runs
   * marked as replays. Actions not declared replay-safe are skipped; `dryRun` skips every action.
   */
  replay(triggerId: string, options?: ReplayOptions): Promise<WorkflowRun[]>
}
