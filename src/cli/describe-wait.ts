import type { CancelOn, JsonObject, WorkflowStep } from '../index.js'
import { formatDuration } from './format.js'

const THEN: Record<string, string> = { continue: 'then continue', fail: 'then fail the run', complete: 'then complete the run' }

/**
 * A wait step in words, as graphs and step lists show it:
 * `wait for order.paid (match payload.orderId), up to 3d, then continue`.
 */
export function describeWait(step: WorkflowStep): string {
  const types = (step.signalTypes ?? []).join(' or ')
  const match = step.match && step.match.length > 0 ? ` (match ${step.match.join(', ')})` : ''
  return `wait for ${types}${match}, up to ${formatDuration(step.timeoutMs ?? 0)}, ${THEN[step.onTimeout ?? 'continue']}`
}

/** A cancelOn entry in words: `cancel on invoice.paid (match resourceId)`. */
export function describeCancelOn(entry: CancelOn): string {
  return `cancel on ${cancelSignal(entry)}`
}

/** The signal a cancelOn entry waits for: `invoice.paid (match resourceId)`. */
export function cancelSignal(entry: CancelOn): string {
  return `${entry.signalType} (match ${entry.match.join(', ')})`
}

/**
 * What came of a finished wait, from its step's result: `received order.paid trg_...`,
 * `timed out after 3d`, or, in a dry run, that it did not wait.
 */
export function describeWaitOutcome(result: JsonObject | undefined): string | undefined {
  if (!result) return undefined
  if (typeof result.receivedSignalId === 'string') return `received ${String(result.signalType ?? 'a signal')} ${result.receivedSignalId}`
  if (result.timedOut === true) return typeof result.waitedMs === 'number' ? `timed out after ${formatDuration(result.waitedMs)}` : 'timed out'
  return typeof result.reason === 'string' ? result.reason : undefined
}

/** The definition of the step named `name` (names are unique in a workflow, branches included). */
export function findStep(steps: readonly WorkflowStep[], name: string): WorkflowStep | undefined {
  for (const step of steps) {
    if (step.name === name) return step
    for (const branch of step.branches ?? []) {
      const found = findStep(branch, name)
      if (found) return found
    }
  }
  return undefined
}
