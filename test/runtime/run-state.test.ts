import { describe, expect, it } from 'vitest'
import {
  ACTIVE_RUN_STATUSES,
  canStepTransition,
  canTransition,
  planStep,
  planAdmission,
  RUN_STARTS,
  RUN_TRANSITIONS,
  runGuard,
  type PlanInput,
  type StepOutcome,
} from '../../src/runtime/run-state.js'
import { isFastPlan, type Plan } from '../../src/store/index.js'
import type { StepType, WorkflowStatus, WorkflowStep } from '../../src/types.js'

/**
 * The run state machine without a database: every step type x outcome x position x run status
 * goes through the planner, and the plans are compared with a golden file (one line per case,
 * meant to be read in review). The invariants below hold for every line of it.
 */

const action = (name: string): WorkflowStep => ({ type: 'action', name })
const delay = (name: string, delayMs = 1000): WorkflowStep => ({ type: 'delay', name, delayMs })

/** The step under test, named `x`, of each type (a condition with each `onFalse`). */
function stepUnderTest(type: StepType, onFalse?: WorkflowStep['onFalse']): WorkflowStep {
  switch (type) {
    case 'action':
      return { type, name: 'x', retryPolicy: { maxAttempts: 3, backoffMs: 100 } }
    case 'condition':
      return { type, name: 'x', ...(onFalse !== undefined ? { onFalse } : {}) }
    case 'delay':
      return delay('x', 5000)
    case 'parallel':
      return { type, name: 'x', branches: [[action('xb0')], [delay('xb1')]] }
    case 'wait_for_signal':
      return { type, name: 'x', signalTypes: ['order.paid'], match: ['resourceId'], timeoutMs: 60_000, onTimeout: onFalse === 'complete' ? 'complete' : 'continue' }
  }
}

/** Where the step under test sits: a snapshot with `x` in that place, and its path. */
const POSITIONS: Record<string, (x: WorkflowStep) => { steps: WorkflowStep[]; path: number[] }> = {
  'top first': (x) => ({ steps: [x, action('top1'), action('top2')], path: [0] }),
  'top middle, a delay next': (x) => ({ steps: [action('top0'), x, delay('top2'), action('top3')], path: [1] }),
  'top last': (x) => ({ steps: [action('top0'), action('top1'), x], path: [2] }),
  'first of a branch': (x) => ({ steps: [action('top0'), { type: 'parallel', name: 'par', branches: [[x, action('b01')], [action('b10')]] }, action('top2')], path: [1, 0, 0] }),
  'last of a branch that is not the last': (x) => ({
    steps: [action('top0'), { type: 'parallel', name: 'par', branches: [[action('b00'), x], [action('b10')]] }, action('top2')],
    path: [1, 0, 1],
  }),
  'last of the last branch, the parallel step last': (x) => ({
    steps: [action('top0'), { type: 'parallel', name: 'par', branches: [[action('b00')], [action('b10'), x]] }],
    path: [1, 1, 1],
  }),
  'last of a nested parallel that ends its outer branch': (x) => ({
    steps: [
      action('top0'),
      { type: 'parallel', name: 'outer', branches: [[{ type: 'parallel', name: 'inner', branches: [[action('i00')], [x]] }]] },
      action('top2'),
    ],
    path: [1, 0, 0, 1, 0],
  }),
}

/** The outcomes each step type can have, with the attempt they come from. */
const OUTCOMES: { type: StepType; onFalse?: WorkflowStep['onFalse']; label: string; attempt: number; outcome: StepOutcome }[] = [
  { type: 'action', label: 'success with data', attempt: 1, outcome: { kind: 'completed', result: { id: 1 }, output: { id: 1 } } },
  { type: 'action', label: 'success without data', attempt: 1, outcome: { kind: 'completed', output: {} } },
  { type: 'action', label: 'failure, attempts left', attempt: 2, outcome: { kind: 'failed', error: 'boom' } },
  { type: 'action', label: 'failure, attempts used up', attempt: 3, outcome: { kind: 'failed', error: 'boom' } },
  { type: 'action', label: 'timeout, attempts used up', attempt: 3, outcome: { kind: 'failed', error: 'timed out after 50 ms' } },
  { type: 'action', label: 'skipped (dry run)', attempt: 1, outcome: { kind: 'skipped', result: { reason: 'dry run: actions do not run', wouldRun: false } } },
  { type: 'action', label: 'canceled', attempt: 1, outcome: { kind: 'abandoned' } },
  { type: 'condition', label: 'true', attempt: 1, outcome: { kind: 'completed', result: { value: true } } },
  { type: 'condition', label: 'false, onFalse complete', attempt: 1, outcome: { kind: 'condition-false' } },
  { type: 'condition', onFalse: 'skip', label: 'false, onFalse skip', attempt: 1, outcome: { kind: 'condition-false' } },
  { type: 'condition', onFalse: 2, label: 'false, onFalse 2', attempt: 1, outcome: { kind: 'condition-false' } },
  { type: 'condition', label: 'failure (no retry policy)', attempt: 1, outcome: { kind: 'failed', error: 'the condition returned a string' } },
  { type: 'condition', label: 'canceled', attempt: 1, outcome: { kind: 'abandoned' } },
  { type: 'delay', label: 'due', attempt: 1, outcome: { kind: 'completed', result: { delayedMs: 5000 } } },
  { type: 'parallel', label: 'claimed', attempt: 1, outcome: { kind: 'started' } },
  {
    type: 'wait_for_signal',
    label: 'reached',
    attempt: 1,
    outcome: { kind: 'wait', wait: { stepName: 'x', signalTypes: ['order.paid'], match: { resourceId: 'o1' }, timeoutMs: 60_000 } },
  },
  { type: 'wait_for_signal', label: 'received', attempt: 2, outcome: { kind: 'completed', result: { receivedSignalId: 'trg_1' }, output: { received: true } } },
  { type: 'wait_for_signal', label: 'timed out, continue', attempt: 2, outcome: { kind: 'completed', result: { timedOut: true }, output: { received: false } } },
  { type: 'wait_for_signal', label: 'timed out, fail', attempt: 2, outcome: { kind: 'failed', error: 'wait "x" timed out' } },
  { type: 'wait_for_signal', onFalse: 'complete', label: 'timed out, complete', attempt: 2, outcome: { kind: 'end-list', result: { timedOut: true }, output: { received: false } } },
]

const RUN_STATUSES = Object.keys(RUN_TRANSITIONS) as WorkflowStatus[]

interface Case {
  name: string
  input: PlanInput
  plan: Plan
}

function allCases(): Case[] {
  const cases: Case[] = []
  for (const o of OUTCOMES) {
    for (const [position, place] of Object.entries(POSITIONS)) {
      const { steps, path } = place(stepUnderTest(o.type, o.onFalse))
      for (const status of RUN_STATUSES) {
        const input: PlanInput = { steps, step: { path, attempt: o.attempt }, outcome: o.outcome, run: { status, isDryRun: false }, continueHere: true }
        cases.push({ name: `${o.type} ${o.label} | ${position} | run ${status}`, input, plan: planStep(input) })
      }
    }
  }
  return cases
}

/** One plan on one line: what the golden file holds. */
function render(plan: Plan): string {
  const parts: string[] = []
  const c = plan.step
  if (c.kind === 'finish') parts.push(`finish ${c.status}${c.result ? ` ${JSON.stringify(c.result)}` : ''}${c.errorMessage ? ` "${c.errorMessage}"` : ''}`)
  else if (c.kind === 'retry') parts.push(`retry in ${c.backoffMs} ms "${c.errorMessage}"`)
  else if (c.kind === 'wait') parts.push(`wait for ${c.wait.signalTypes.join('|')} ${JSON.stringify(c.wait.match)} up to ${c.wait.timeoutMs} ms`)
  else parts.push(c.kind === 'settle' ? `settle ${c.status}` : c.kind)
  if (plan.log) parts.push(`log ${plan.log.level} "${plan.log.message}"`)
  if (plan.output) parts.push(`output ${plan.output.name}=${JSON.stringify(plan.output.data)}`)
  for (const s of plan.skip) parts.push(`skip [${s.path.join(',')}] ${s.stepName} ${JSON.stringify(s.result)}`)
  for (const s of plan.create) {
    const due = s.dueInMs !== undefined ? ` due ${s.dueInMs} ms` : ''
    const why = s.errorMessage ? ` "${s.errorMessage}"` : ''
    parts.push(`create [${s.path.join(',')}] ${s.stepType} ${s.stepName} ${s.status === 'running' ? 'claimed' : s.status}${due} (${s.parent})${why}`)
  }
  if (plan.position) parts.push(`position ${plan.position.stepIndex} ${plan.position.status} from ${plan.position.from.join('|')}`)
  if (plan.fail) parts.push(`fail ${plan.fail.ancestors} ancestors "${plan.fail.message}"`)
  if (plan.run) parts.push(`run ${plan.run.from.join('|')} -> ${plan.run.to}${plan.run.errorMessage ? ` "${plan.run.errorMessage}"` : ''}`)
  if (plan.branchDone) parts.push(`branch done of ${plan.branchDone.branches}, then { ${render(plan.branchDone.then)} }`)
  if (isFastPlan(plan)) parts.push('[fast]')
  return parts.join('; ')
}

/** Every plan in a plan, the plans that apply once branches are done included. */
function nested(plan: Plan): Plan[] {
  return plan.branchDone ? [plan, ...nested(plan.branchDone.then)] : [plan]
}

describe('the run state planner', () => {
  const cases = allCases()

  it('plans every step type x outcome x position x run status as the golden file says', async () => {
    const lines = cases.map((c) => `${c.name}\n  ${render(c.plan)}`)
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('./run-state.golden.txt')
  })

  it('asks only for run transitions the table allows, guarded on statuses that may take them', () => {
    for (const { name, plan } of cases) {
      for (const p of nested(plan)) {
        if (p.run) {
          expect(p.run.from.length, name).toBeGreaterThan(0)
          for (const from of p.run.from) expect(canTransition(from, p.run.to), `${name}: ${from} -> ${p.run.to}`).toBe(true)
          expect(p.run.from, name).toContain(p.plannedFor)
        }
        if (p.position) {
          for (const from of p.position.from) expect(from === p.position.status || canTransition(from, p.position.status), name).toBe(true)
        }
      }
    }
  })

  it('starts nothing in a canceled or completed run, and only stopped steps in a failed one', () => {
    for (const { name, input, plan } of cases) {
      for (const p of nested(plan)) {
        if (input.run.status === 'canceled' || input.run.status === 'completed') {
          expect(p.create, name).toEqual([])
          expect(p.run, name).toBeUndefined()
        }
        if (input.run.status === 'failed') {
          for (const s of p.create) expect(s.status, name).toBe('skipped')
          expect(p.position, name).toBeUndefined()
        }
      }
    }
  })

  it('takes the fast path only for a run that is running, never from inside a branch end', () => {
    for (const { name, input, plan } of cases) {
      if (!isFastPlan(plan)) continue
      expect(input.run.status, name).toBe('running')
      expect(plan.branchDone, name).toBeUndefined()
    }
  })

  it('claims the next step for this worker only when it is an action or condition of the same list and the worker may continue', () => {
    const steps = [action('a'), action('b')]
    const base = { steps, step: { path: [0], attempt: 1 }, outcome: { kind: 'completed' } as const, run: { status: 'running' as const, isDryRun: false } }
    expect(planStep({ ...base, continueHere: true }).create[0]!.status).toBe('running')
    expect(planStep({ ...base, continueHere: false }).create[0]!.status).toBe('pending')
    expect(isFastPlan(planStep({ ...base, continueHere: false }))).toBe(false)
  })

  it('schedules a delay due at once in a dry run', () => {
    const plan = planStep({
      steps: [action('a'), delay('d', 60_000)],
      step: { path: [0], attempt: 1 },
      outcome: { kind: 'skipped', result: {} },
      run: { status: 'running', isDryRun: true },
      continueHere: true,
    })
    expect(plan.create).toEqual([{ path: [1], stepType: 'delay', stepName: 'd', status: 'scheduled', dueInMs: 0, parent: 'sibling' }])
    expect(plan.position).toMatchObject({ stepIndex: 1, status: 'waiting' })
  })

  it('doubles the backoff with each attempt, up to an hour', () => {
    const steps: WorkflowStep[] = [{ type: 'action', name: 'a', retryPolicy: { maxAttempts: 10, backoffMs: 300_000 } }]
    const backoff = (attempt: number) => {
      const plan = planStep({ steps, step: { path: [0], attempt }, outcome: { kind: 'failed', error: 'x' }, run: { status: 'running', isDryRun: false }, continueHere: true })
      return plan.step.kind === 'retry' ? plan.step.backoffMs : undefined
    }
    expect([1, 2, 3, 4, 9].map(backoff)).toEqual([300_000, 600_000, 1_200_000, 2_400_000, 3_600_000])
  })

  it('skips the next two steps when the condition is false and onFalse is 2, then moves on from the last skipped', () => {
    const plan = planStep({
      steps: [{ type: 'condition', name: 'c', onFalse: 2 }, action('a'), delay('d'), action('b')],
      step: { path: [0], attempt: 1 },
      outcome: { kind: 'condition-false' },
      run: { status: 'running', isDryRun: false },
      continueHere: true,
    })
    expect(plan.skip.map((s) => s.stepName)).toEqual(['a', 'd'])
    expect(plan.create.map((s) => [s.stepName, s.status])).toEqual([['b', 'pending']])
  })

  it('reads its guards from the run transition table', () => {
    expect(runGuard('canceled')).toEqual(ACTIVE_RUN_STATUSES)
    expect(runGuard('completed')).toEqual(['running'])
    expect(runGuard('failed')).toEqual(['running'])
    expect(runGuard('running')).toEqual(['pending', 'waiting', 'failed'])
  })

  it('starts a run as the table of starts says, for every first step type and way of starting', () => {
    const lines = Object.entries(RUN_STARTS).flatMap(([how, byType]) =>
      Object.entries(byType).map(([type, s]) => `${how} ${type}: step ${s.step}, run ${s.run}${s.claim ? ', claimed' : ''}${s.started ? ', started' : ''}${s.due ? `, due ${s.due}` : ''}`),
    )
    expect(lines).toEqual([
      'queued action: step pending, run pending',
      'queued condition: step pending, run pending',
      'queued delay: step scheduled, run waiting, started, due after-delay',
      'queued parallel: step pending, run pending',
      'queued wait_for_signal: step pending, run pending',
      'claimed action: step running, run running, claimed, started',
      'claimed condition: step running, run running, claimed, started',
      'claimed delay: step scheduled, run waiting, started, due after-delay',
      'claimed parallel: step running, run running, claimed, started',
      'claimed wait_for_signal: step running, run running, claimed, started',
      'dry-run action: step pending, run pending',
      'dry-run condition: step pending, run pending',
      'dry-run delay: step scheduled, run waiting, started, due now',
      'dry-run parallel: step pending, run pending',
      'dry-run wait_for_signal: step pending, run pending',
      'held action: step pending, run pending, due parked',
      'held condition: step pending, run pending, due parked',
      'held delay: step pending, run pending, due parked',
      'held parallel: step pending, run pending, due parked',
      'held wait_for_signal: step pending, run pending, due parked',
    ])
  })

  it('admits a held run as a queued one starts, scheduling its first step when it is admitted for later', () => {
    expect(planAdmission('action', false)).toEqual({ step: 'pending', run: 'pending' })
    expect(planAdmission('action', true)).toEqual({ step: 'scheduled', run: 'pending' })
    expect(planAdmission('delay', false)).toEqual({ step: 'scheduled', run: 'waiting' })
    expect(planAdmission('delay', true)).toEqual({ step: 'scheduled', run: 'waiting' })
  })

  it('creates and finishes steps only along edges of the step transition table', () => {
    for (const { name, plan } of cases) {
      for (const p of nested(plan)) {
        const c = p.step
        if (c.kind === 'finish' || c.kind === 'settle') expect(canStepTransition('running', c.status), name).toBe(true)
        if (c.kind === 'retry' || c.kind === 'wait') expect(canStepTransition('running', 'scheduled'), name).toBe(true)
      }
    }
  })
})
