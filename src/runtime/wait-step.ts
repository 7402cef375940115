import type { Claim, Store, WaitRecord } from '../store/index.js'
import type { JsonObject, TriggerEnvelope, WorkflowStep } from '../types.js'
import { matchValues } from './match-values.js'
import type { StepOutcome } from './run-state.js'

/**
 * What a wait step's claim comes to. The first claim registers the wait (the planner's `wait`
 * outcome; the store resolves it at once if a matching signal is already stored). A later claim
 * comes when a signal resolved it or its timeout passed, and reads which: the wait's row, not
 * the clock of this process, decides.
 */
export async function waitOutcome(store: Store, claim: Claim, def: WorkflowStep): Promise<StepOutcome> {
  const signalTypes = def.signalTypes ?? []
  const match = def.match ?? []
  if (claim.run.isDryRun) {
    return { kind: 'completed', result: { reason: 'dry run: waits do not wait', wouldWaitFor: signalTypes, match }, output: { received: false } }
  }
  const register: StepOutcome = {
    kind: 'wait',
    wait: { stepName: def.name, signalTypes, match: matchValues(claim.trigger, match), timeoutMs: def.timeoutMs ?? 0 },
  }
  const found = await store.waits.get(claim.step.id)
  if (!found) return register
  if (found.wait.status === 'received') return received(found.wait, found.signal)
  let wait: WaitRecord | null = found.wait
  if (wait.status === 'open') wait = await store.waits.timeOut(claim.step.id)
  if (!wait || wait.status === 'open') return register
  if (wait.status === 'received') return received(wait, (await store.waits.get(claim.step.id))?.signal ?? null)
  const waitedMs = wait.timeoutAt.getTime() - wait.createdAt.getTime()
  const result = { timedOut: true, waitedMs, signalTypes }
  switch (def.onTimeout ?? 'continue') {
    case 'continue':
      return { kind: 'completed', result, output: { received: false } }
    case 'complete':
      return { kind: 'end-list', result, output: { received: false } }
    case 'fail':
      return { kind: 'failed', error: `wait "${def.name}" timed out after ${waitedMs} ms without a matching ${signalTypes.join(' or ')} signal` }
  }
}

function received(wait: WaitRecord, signal: TriggerEnvelope | null): StepOutcome {
  if (!signal) return { kind: 'failed', error: `wait "${wait.stepName}" was resolved by signal ${wait.signalId}, which no longer exists` }
  const output: JsonObject = {
    received: true,
    signal: {
      id: signal.id,
      type: signal.type,
      payload: signal.payload,
      ...(signal.resourceId !== undefined ? { resourceId: signal.resourceId } : {}),
      createdAt: signal.createdAt.toISOString(),
    },
  }
  return { kind: 'completed', result: { receivedSignalId: signal.id, signalType: signal.type }, output }
}
