import type { Attributes } from '@opentelemetry/api'
import type { Claim, RunRecord } from '../store/index.js'
import type { JsonObject } from '../types.js'
import type { StepOutcome } from '../runtime/run-state.js'

/** Attribute names, in the `pulse.` namespace. */
export const ATTR = {
  tenantId: 'pulse.tenant_id',
  mode: 'pulse.mode',
  workflowKey: 'pulse.workflow.key',
  workflowVersion: 'pulse.workflow.version',
  definitionId: 'pulse.workflow.definition_id',
  runId: 'pulse.run.id',
  runReplay: 'pulse.run.replay',
  runStatus: 'pulse.run.status',
  stepId: 'pulse.step.id',
  stepName: 'pulse.step.name',
  stepType: 'pulse.step.type',
  stepAttempt: 'pulse.step.attempt',
  stepOutcome: 'pulse.step.outcome',
  stepOutput: 'pulse.step.output',
  stepState: 'pulse.step.state',
  tablePrefix: 'pulse.table_prefix',
  signalId: 'pulse.signal.id',
  signalType: 'pulse.signal.type',
  signalSource: 'pulse.signal.source',
  signalPayload: 'pulse.signal.payload',
  signalDeduplicated: 'pulse.signal.deduplicated',
  runsStarted: 'pulse.runs.started',
} as const

/** Longest payload or output recorded as an attribute (when the application opts in), in characters. */
export const MAX_PAYLOAD_ATTRIBUTE = 4096

/**
 * A workflow's name for metrics: its key, or its name for a definition created without one.
 * Never the definition id, which changes with every version and would split the series.
 */
export const workflowLabel = (run: RunRecord): string => run.definitionSnapshot.key ?? run.definitionSnapshot.name

/** The attributes of a step's span, known when it is claimed. */
export function stepAttributes(claim: Claim, mode: string): Attributes {
  const { run, step } = claim
  const attributes: Attributes = {
    [ATTR.tenantId]: run.tenantId,
    [ATTR.mode]: mode,
    [ATTR.workflowKey]: workflowLabel(run),
    [ATTR.workflowVersion]: run.definitionSnapshot.version,
    [ATTR.definitionId]: run.definitionId,
    [ATTR.runId]: run.id,
    [ATTR.stepId]: step.id,
    [ATTR.stepName]: step.stepName,
    [ATTR.stepType]: step.stepType,
    [ATTR.stepAttempt]: step.attempt,
  }
  if (run.isReplay) attributes[ATTR.runReplay] = true
  return attributes
}

/** What an execution of a step came to, in one word. */
export function outcomeName(outcome: StepOutcome): string {
  switch (outcome.kind) {
    case 'end-list':
      return 'completed'
    case 'wait':
      return 'waiting'
    default:
      return outcome.kind
  }
}

/** A payload as an attribute value: JSON, cut at MAX_PAYLOAD_ATTRIBUTE characters. */
export function payloadAttribute(value: JsonObject): string {
  const json = JSON.stringify(value)
  return json.length > MAX_PAYLOAD_ATTRIBUTE ? `${json.slice(0, MAX_PAYLOAD_ATTRIBUTE)}…` : json
}
