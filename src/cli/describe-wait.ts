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

/** What a finished wait step's output says: `received order.paid trg_...` or `timed out`. */
export function describeWaitOutcome(result: JsonObject | undefined): string | undefined {
  if (!result || typeof result.received !== 'boolean') return undefined
  const signal = result.signal as { id?: unknown; type?: unknown } | undefined
  return result.received ? `received ${String(signal?.type ?? 'a signal')} ${String(signal?.id ?? '')}`.trimEnd() : 'timed out'
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
