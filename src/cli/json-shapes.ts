import type { CancelOn, DefinitionSnapshot, EmitResult, FlowControl, JsonObject, RunTimelineEntry, TriggerEnvelope, WorkflowDefinition, WorkflowRun, WorkflowStepRun } from '../index.js'
import { nextCronTime } from '../definition/cron.js'

/**
 * The one JSON shape of each resource the CLI prints under `--json`. Every command that prints
 * a run, a step, a signal or a workflow definition goes through these functions, so a script
 * that reads `pulse runs --json` can read `pulse retry --json` the same way. Times are ISO 8601
 * strings in UTC; optional fields are null rather than absent, so every key is always there.
 */

/** A run as lists show it: no context, no definition snapshot (`pulse run` adds those). */
export interface RunJson {
  id: string
  workflowKey: string | null
  workflowName: string
  workflowVersion: number
  definitionId: string
  tenantId: string
  triggerId: string
  status: WorkflowRun['status']
  /** Set while the run waits for a concurrency slot. */
  heldBy: 'concurrency' | 'throttle' | 'debounce' | null
  /** The top-level step the run is at: its index from 0, its name, and how many there are. */
  currentStep: { index: number; name: string | null; total: number }
  isReplay: boolean
  errorMessage: string | null
  cancelReason: string | null
  createdAt: string
  startedAt: string | null
  completedAt: string | null
  failedAt: string | null
  canceledAt: string | null
  updatedAt: string
}

/** A run with everything: what `pulse run --json` prints as `run`. */
export interface RunDetailJson extends RunJson {
  context: JsonObject
  definitionSnapshot: DefinitionSnapshot
}

export interface StepJson {
  id: string
  runId: string
  index: number
  name: string
  type: string
  status: WorkflowStepRun['status']
  attempt: number
  /** For a step inside a parallel branch: the branch, numbered from 0, and the parallel step's id. */
  branchIndex: number | null
  parentStepId: string | null
  scheduledFor: string | null
  startedAt: string | null
  completedAt: string | null
  errorMessage: string | null
  result: JsonObject | null
  createdAt: string
}

export interface SignalJson {
  id: string
  tenantId: string
  type: string
  source: string
  resourceType: string | null
  resourceId: string | null
  environment: string | null
  payload: JsonObject
  createdAt: string
  /** The runs the signal started (replays included), oldest first. */
  runs: RunJson[]
  /** The workflows it matched but started no run of, and why (a debounce, a rate limit, a full concurrency limit). */
  skipped: EmitResult['skipped']
}

/**
 * What `pulse emit --json` prints: the library's EmitResult as JSON. The signal, the runs it
 * started (each a RunJson, whose `id` is EmitResult's `runId`), whether an earlier emit with
 * the same idempotency key had stored it already (then nothing was written), and the waits it
 * resolved and runs it canceled.
 */
export interface EmitJson extends SignalJson {
  deduplicated: boolean
  resolvedWaits: { runId: string; stepName: string }[]
  canceledRuns: { runId: string; workflowKey: string | null }[]
}

export interface WorkflowJson {
  id: string
  key: string | null
  name: string
  version: number
  tenantId: string
  enabled: boolean
  trigger: { type: string; environment: string | null; resourceType: string | null }
  /** Cron workflows: the schedule and its next ticks (none while disabled). */
  cron: { expression: string; timezone: string | null; next: string[] } | null
  /** The signals that cancel a run of this workflow; empty when none do. */
  cancelOn: CancelOn[]
  /** Its flow control (concurrency, throttle, rate limit, debounce, priority); null when it sets none. */
  flow: FlowControl | null
  steps: number
  createdAt: string
  updatedAt: string
}

export interface TimelineEntryJson {
  timestamp: string
  type: RunTimelineEntry['type']
  stepIndex: number | null
  stepName: string | null
  stepType: string | null
  detail: JsonObject | null
}

/** An error under `--json`, printed on stderr; see `errorCode` for the codes. */
export interface ErrorJson {
  error: { code: string; message: string }
}

const iso = (date: Date | undefined | null): string | null => (date ? new Date(date).toISOString() : null)
const isoNow = (date: Date): string => new Date(date).toISOString()

export function runJson(run: WorkflowRun): RunJson {
  const snap = run.definitionSnapshot
  const index = Math.min(run.currentStepIndex, Math.max(snap.steps.length - 1, 0))
  return {
    id: run.id,
    workflowKey: snap.key,
    workflowName: snap.name,
    workflowVersion: snap.version,
    definitionId: run.definitionId,
    tenantId: run.tenantId,
    triggerId: run.triggerId,
    status: run.status,
    heldBy: run.heldBy ?? null,
    currentStep: { index, name: snap.steps[index]?.name ?? null, total: snap.steps.length },
    isReplay: run.isReplay,
    errorMessage: run.errorMessage ?? null,
    cancelReason: run.cancelReason ?? null,
    createdAt: isoNow(run.createdAt),
    startedAt: iso(run.startedAt),
    completedAt: iso(run.completedAt),
    failedAt: iso(run.failedAt),
    canceledAt: iso(run.canceledAt),
    updatedAt: isoNow(run.updatedAt),
  }
}

export function runDetailJson(run: WorkflowRun): RunDetailJson {
  return { ...runJson(run), context: run.context, definitionSnapshot: run.definitionSnapshot }
}

export function stepJson(step: WorkflowStepRun): StepJson {
  return {
    id: step.id,
    runId: step.runId,
    index: step.stepIndex,
    name: step.stepName,
    type: step.stepType,
    status: step.status,
    attempt: step.attempt,
    branchIndex: step.branchIndex ?? null,
    parentStepId: step.parentStepRunId ?? null,
    scheduledFor: iso(step.scheduledFor),
    startedAt: iso(step.startedAt),
    completedAt: iso(step.completedAt),
    errorMessage: step.errorMessage ?? null,
    result: step.result ?? null,
    createdAt: isoNow(step.createdAt),
  }
}

export function signalJson(signal: TriggerEnvelope, runs: WorkflowRun[], skipped: EmitResult['skipped'] = []): SignalJson {
  return {
    id: signal.id,
    tenantId: signal.tenantId,
    type: signal.type,
    source: signal.source,
    resourceType: signal.resourceType ?? null,
    resourceId: signal.resourceId ?? null,
    environment: signal.environment ?? null,
    payload: signal.payload,
    createdAt: isoNow(signal.createdAt),
    runs: runs.map(runJson),
    skipped,
  }
}

export function emitJson(result: EmitResult, runs: WorkflowRun[]): EmitJson {
  return { ...signalJson(result, runs, result.skipped), deduplicated: result.deduplicated, resolvedWaits: result.resolvedWaits, canceledRuns: result.canceledRuns }
}

export function workflowJson(def: WorkflowDefinition, options: { now?: Date; ticks?: number } = {}): WorkflowJson {
  return {
    id: def.id,
    key: def.key,
    name: def.name,
    version: def.version,
    tenantId: def.tenantId,
    enabled: def.isEnabled,
    trigger: { type: def.triggerType, environment: def.environmentFilter ?? null, resourceType: def.resourceTypeFilter ?? null },
    cron: def.cronExpression
      ? {
          expression: def.cronExpression,
          timezone: def.cronTimezone ?? null,
          next: def.isEnabled ? nextTicks(def.cronExpression, def.cronTimezone, options.now ?? new Date(), options.ticks ?? 3).map(isoNow) : [],
        }
      : null,
    cancelOn: def.cancelOn ?? [],
    flow: def.flow ?? null,
    steps: def.steps.length,
    createdAt: isoNow(def.createdAt),
    updatedAt: isoNow(def.updatedAt),
  }
}

export function timelineEntryJson(entry: RunTimelineEntry): TimelineEntryJson {
  return {
    timestamp: isoNow(entry.timestamp),
    type: entry.type,
    stepIndex: entry.stepIndex ?? null,
    stepName: entry.stepName ?? null,
    stepType: entry.stepType ?? null,
    detail: entry.detail ?? null,
  }
}

/** The next `count` times a cron expression fires after `from`. */
export function nextTicks(expression: string, timezone: string | undefined, from: Date, count: number): Date[] {
  const ticks: Date[] = []
  let at = from
  for (let i = 0; i < count; i++) {
    at = nextCronTime(expression, at, timezone)
    ticks.push(at)
  }
  return ticks
}
