import type {
  CancelOn,
  DefinitionSnapshot,
  ExecutionLog,
  FlowControl,
  JsonObject,
  LogLevel,
  StepStatus,
  StepType,
  TriggerEnvelope,
  WorkflowDefinition,
  WorkflowRun,
  WorkflowStatus,
  WorkflowStep,
  WorkflowStepRun,
} from '../types.js'

/** A step row with the columns the runtime needs beyond the public shape. */
export interface StepRecord extends WorkflowStepRun {
  path: number[]
  fence: number
  lockedUntil?: Date
  branchesDone: number
}

/** W3C trace context fields (`traceparent`, `tracestate`), as a propagator's carrier holds them. */
export type TraceCarrier = Record<string, string>

/** A run row with the columns the runtime needs beyond the public shape. */
export interface RunRecord extends WorkflowRun {
  isDryRun: boolean
  /** Set for a run under flow control: its workflow within the tenant (see FlowStore). */
  flowGroup?: string
  /** The run waits for flow control to give it a place. */
  held?: boolean
  /** The concurrency key whose slot the run holds while it is active (workflow and key value). */
  concurrencyKey?: string
  /** A debounced run: the signals it stands for, oldest first. */
  debounced?: string[]
  /**
   * A run under flow control: when admission let it start (a throttle's allotted time or a
   * debounce's due time may be later than its creation), and whether it is a debounced run.
   */
  admission?: { at: Date; debounce: boolean }
  /** The trace the run's steps join (see migration 008); absent when none was recorded. */
  traceContext?: TraceCarrier
}

type Row = Record<string, unknown>

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T))

export function toTrigger(r: Row): TriggerEnvelope {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    source: r.source as string,
    type: r.type as string,
    resourceType: opt(r.resource_type),
    resourceId: opt(r.resource_id),
    environment: opt(r.environment),
    payload: (r.payload ?? {}) as JsonObject,
    createdAt: r.created_at as Date,
  }
}

export function toDefinition(r: Row): WorkflowDefinition {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    key: (r.key as string | null) ?? null,
    version: r.version as number,
    hash: r.hash as string,
    name: r.name as string,
    description: opt(r.description),
    triggerType: r.trigger_type as string,
    environmentFilter: opt(r.environment_filter),
    resourceTypeFilter: opt(r.resource_type_filter),
    steps: r.steps as WorkflowStep[],
    config: (r.config ?? {}) as JsonObject,
    isEnabled: r.is_enabled as boolean,
    cronExpression: opt(r.cron_expression),
    cronTimezone: opt(r.cron_timezone),
    ...(r.cancel_on ? { cancelOn: r.cancel_on as CancelOn[] } : {}),
    ...(r.flow ? { flow: r.flow as FlowControl } : {}),
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  }
}

export function toRun(r: Row): RunRecord {
  return {
    id: r.id as string,
    definitionId: r.definition_id as string,
    tenantId: r.tenant_id as string,
    triggerId: r.trigger_id as string,
    status: r.status as WorkflowStatus,
    context: (r.context ?? {}) as JsonObject,
    currentStepIndex: r.current_step_index as number,
    isReplay: r.is_replay as boolean,
    isDryRun: r.is_dry_run as boolean,
    traceContext: opt(r.trace_context),
    definitionSnapshot: r.definition_snapshot as DefinitionSnapshot,
    errorMessage: opt(r.error_message),
    startedAt: opt(r.started_at),
    completedAt: opt(r.completed_at),
    failedAt: opt(r.failed_at),
    canceledAt: opt(r.canceled_at),
    cancelReason: opt(r.cancel_reason),
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    ...(r.flow_group ? { flowGroup: r.flow_group as string, held: r.held === true } : {}),
    ...(r.flow_group && r.concurrency_key ? { concurrencyKey: r.concurrency_key as string } : {}),
    ...(r.flow_group && r.admitted_at ? { admission: { at: r.admitted_at as Date, debounce: r.debounce_key !== null && r.debounce_key !== undefined } } : {}),
    ...(Array.isArray(r.debounced) ? { debounced: r.debounced as string[] } : {}),
  }
}

export function toStep(r: Row): StepRecord {
  return {
    id: r.id as string,
    runId: r.run_id as string,
    tenantId: r.tenant_id as string,
    stepIndex: r.step_index as number,
    path: r.step_path as number[],
    stepType: r.step_type as StepType,
    stepName: r.step_name as string,
    status: r.status as StepStatus,
    attempt: r.attempt as number,
    fence: Number(r.fence),
    lockedUntil: opt(r.locked_until),
    branchesDone: r.branches_done as number,
    // A step parked by flow control is due at infinity, which pg reads as a string: no due time.
    scheduledFor: r.scheduled_for instanceof Date && !Number.isNaN(r.scheduled_for.getTime()) ? r.scheduled_for : undefined,
    startedAt: opt(r.started_at),
    completedAt: opt(r.completed_at),
    result: opt(r.result),
    errorMessage: opt(r.error_message),
    branchIndex: opt(r.branch_index),
    parentStepRunId: opt(r.parent_step_run_id),
    createdAt: r.created_at as Date,
  }
}

export function toLog(r: Row): ExecutionLog {
  return {
    id: r.id as string,
    runId: r.run_id as string,
    stepRunId: opt(r.step_run_id),
    stepName: opt(r.step_name),
    tenantId: r.tenant_id as string,
    level: r.level as LogLevel,
    message: r.message as string,
    data: opt(r.data),
    createdAt: r.created_at as Date,
  }
}

/** The public view of a step row: internal bookkeeping columns stripped. */
export function publicStep(s: StepRecord): WorkflowStepRun {
  const { path: _path, fence: _fence, lockedUntil: _locked, branchesDone: _done, ...rest } = s
  return rest
}

/**
 * The public view of a run row. `now` (ms) is the engine's clock, which decides whether a pending
 * run's throttle or debounce still holds it back.
 */
export function publicRun(r: RunRecord, now: number = Date.now()): WorkflowRun {
  const { isDryRun: _dry, flowGroup: _group, held, concurrencyKey: _key, debounced: _debounced, traceContext: _trace, admission, ...rest } = r
  if (held) return { ...rest, heldBy: 'concurrency' }
  if (admission && r.status === 'pending' && admission.at.getTime() > now) return { ...rest, heldBy: admission.debounce ? 'debounce' : 'throttle' }
  return rest
}

const DATE_COLUMNS = ['created_at', 'updated_at', 'started_at', 'completed_at', 'failed_at', 'canceled_at', 'scheduled_for', 'locked_until', 'admitted_at']

/** `to_jsonb` turns timestamps into ISO strings; the mappers expect Date objects as pg returns them. */
export function reviveDates(row: Record<string, unknown>): Record<string, unknown> {
  for (const col of DATE_COLUMNS) {
    const v = row[col]
    if (typeof v === 'string') row[col] = new Date(v)
  }
  return row
}
