import { describe, expect, it } from 'vitest'
import {
  ACTIVE_RUN_STATUSES,
  canStepTransition,
  canTransition,
  planAbandonedStop,
  planCancel,
  planClaim,
  planHandBack,
  planRetry,
  planRunFailure,
  planTakeover,
  STATUS_MOVES,
  STOPPED_PREFIX,
} from '../../src/runtime/run-state.js'
import type { StepStatus, WorkflowStatus } from '../../src/types.js'

/**
 * The status changes the store makes outside planStep (claims, cancel, a run's failure, retry,
 * shutdown hand-back, the reconciler's stop, a dead worker's takeover), without a database: the
 * moves each planner function returns are compared with a golden file, and every one of them
 * must be an edge of the state tables.
 */

type Edge = { machine: 'run' | 'step'; from: WorkflowStatus | StepStatus; to: WorkflowStatus | StepStatus; what: string }

/** Every (from, to) a move asks for; a status that stays what it is (a takeover, a re-claim) is no edge. */
function edges(): Edge[] {
  const out: Edge[] = []
  const step = (what: string, from: readonly StepStatus[], to: StepStatus) => {
    for (const f of from) if (f !== to) out.push({ machine: 'step', from: f, to, what })
  }
  const run = (what: string, from: readonly WorkflowStatus[], to: WorkflowStatus) => {
    for (const f of from) if (f !== to) out.push({ machine: 'run', from: f, to, what })
  }
  const claim = planClaim()
  step('claim', claim.step.from, claim.step.to)
  run('claim', claim.run.from, claim.run.to)
  const cancel = planCancel()
  step('cancel', cancel.steps.from, cancel.steps.to)
  run('cancel', cancel.run.from, cancel.run.to)
  const failure = planRunFailure()
  step('run failure: ancestors', failure.ancestors.from, failure.ancestors.to)
  step('run failure: stop', failure.stop.from, failure.stop.to)
  const retry = planRetry()
  run('retry', retry.run.from, retry.run.to)
  for (const to of new Set([...Object.values(retry.steps.to), retry.steps.inLine])) step('retry', [...retry.steps.from, ...retry.steps.stopped], to)
  const handBack = planHandBack()
  step('hand back', handBack.from, handBack.to)
  const stop = planAbandonedStop()
  step('abandoned stop', stop.from, stop.to)
  return out
}

describe('the status changes outside planStep', () => {
  it('are the moves the golden file lists', async () => {
    const lines = edges().map((e) => `${e.what}: ${e.machine} ${e.from} -> ${e.to}`)
    const moves = JSON.stringify(STATUS_MOVES, null, 2)
    await expect(`${lines.join('\n')}\n\nSTATUS_MOVES = ${moves}\n`).toMatchFileSnapshot('./status-moves.golden.txt')
  })

  it('ask only for edges of RUN_TRANSITIONS and STEP_TRANSITIONS', () => {
    const all = edges()
    expect(all.length).toBeGreaterThan(0)
    for (const e of all) {
      const allowed = e.machine === 'run' ? canTransition(e.from as WorkflowStatus, e.to as WorkflowStatus) : canStepTransition(e.from as StepStatus, e.to as StepStatus)
      expect(allowed, `${e.what}: ${e.machine} ${e.from} -> ${e.to}`).toBe(true)
    }
  })

  it('claim only in runs that can still make progress, and never resume a failed run', () => {
    const claim = planClaim()
    expect(claim.runIn).toEqual(ACTIVE_RUN_STATUSES)
    expect(claim.run.from).not.toContain('failed')
    for (const from of claim.run.from) expect(claim.runIn).toContain(from)
  })

  it('move the fence of exactly the claimed steps a set move takes from their worker', () => {
    const claimed = planTakeover().claimed
    for (const move of [planCancel().steps, planRunFailure().stop]) {
      expect(move.fenceFor).toEqual(move.from.filter((s) => claimed.includes(s)))
    }
  })

  it('let a retry resume exactly the steps a failure stopped', () => {
    const failure = planRunFailure()
    const retry = planRetry()
    expect(retry.steps.stopped).toContain(failure.stop.to)
    expect(retry.steps.stoppedPrefix).toBe(failure.stoppedPrefix)
    expect(planAbandonedStop().errorMessage.startsWith(STOPPED_PREFIX)).toBe(true)
    expect(retry.steps.stopped).toContain(planAbandonedStop().to)
    // A retried run comes only from a status a stopped run can be in, and a failed run is where abandoned steps stop.
    expect(retry.run.from).toEqual(planAbandonedStop().runIn)
  })
})
