// Only types from the store: the store reads STATUS_MOVES from here when it is created, so this
// module must not need any of the store's values at load time.
import type { ClaimMoves, Plan, RetryReset, RunChange, RunStart, RunStarts, StatusMoves, StepChange, StepSetMove, WaitRegistration } from '../store/index.js'
import type { JsonObject, StepStatus, StepType, WorkflowStatus, WorkflowStep } from '../types.js'
import { isTopLevel, nextPath, parentPath, stepAt, type StepPath } from './step-path.js'

/**
 * The run state machine: for each status, the statuses a run may move to (the original design's
 * table). The planner derives every guard it hands the store from it, and run-control checks it
 * to give a clear error.
 */
export const RUN_TRANSITIONS: Readonly<Record<WorkflowStatus, readonly WorkflowStatus[]>> = {
  pending: ['running', 'canceled'],
  running: ['waiting', 'completed', 'failed', 'canceled'],
  waiting: ['running', 'canceled'],
  failed: ['running'],
  completed: [],
  canceled: [],
}

/**
 * The step state machine. `running` -> `scheduled` is a retry after a failed attempt, `running`
 * -> `pending` a step handed back at shutdown; `failed` and stopped `skipped` steps go back in
 * line when their run is retried.
 */
export const STEP_TRANSITIONS: Readonly<Record<StepStatus, readonly StepStatus[]>> = {
  pending: ['running', 'skipped'],
  scheduled: ['running', 'skipped'],
  running: ['completed', 'failed', 'skipped', 'scheduled', 'pending'],
  completed: [],
  failed: ['pending', 'scheduled', 'running'],
  skipped: ['pending', 'scheduled', 'running'],
}

/** Runs that can still make progress. */
export const ACTIVE_RUN_STATUSES: readonly WorkflowStatus[] = ['pending', 'running', 'waiting']

/** Steps waiting in line for a worker: queued now, or due at a time. */
export const QUEUED_STEP_STATUSES: readonly StepStatus[] = ['pending', 'scheduled']

/** A step held by a worker (under a lease, fenced). */
export const CLAIMED_STEP_STATUS: StepStatus = 'running'

/** error_message prefix of steps stopped because their run failed; a retry of the run resumes them. */
export const STOPPED_PREFIX = 'stopped: '

export function canTransition(from: WorkflowStatus, to: WorkflowStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to)
}

export function canStepTransition(from: StepStatus, to: StepStatus): boolean {
  return STEP_TRANSITIONS[from].includes(to)
}

/** The statuses a run may be in for a guarded UPDATE to move it to `to`: the table, read backwards. */
export function runGuard(to: WorkflowStatus): WorkflowStatus[] {
  return (Object.keys(RUN_TRANSITIONS) as WorkflowStatus[]).filter((from) => canTransition(from, to))
}

/** The statuses a step may be in to move to `to`: the step table, read backwards. */
export function stepGuard(to: StepStatus): StepStatus[] {
  return (Object.keys(STEP_TRANSITIONS) as StepStatus[]).filter((from) => canStepTransition(from, to))
}

const isActive = (status: WorkflowStatus) => ACTIVE_RUN_STATUSES.includes(status)

/** A run in this status has ended: it makes no more progress and holds no flow-control slot. */
export const isEnded = (status: WorkflowStatus): boolean => !isActive(status)

// The status changes outside planStep. Each is read by one store statement (see STATUS_MOVES);
// their guards come from the tables above, narrowed to what the operation is about.

/**
 * Claiming a step: one waiting in line becomes claimed, in a run that can still make progress;
 * a run that was pending or waiting on a delay is running from then on.
 */
export function planClaim(): ClaimMoves {
  return {
    runIn: ACTIVE_RUN_STATUSES,
    step: { from: stepGuard(CLAIMED_STEP_STATUS).filter((s) => QUEUED_STEP_STATUSES.includes(s)), to: CLAIMED_STEP_STATUS },
    // failed -> running is a retry's edge, not a claim's.
    run: { from: runGuard('running').filter(isActive), to: 'running' },
  }
}

/** `cancelRun`: the run is canceled, and every step not finished is skipped, claimed ones too. */
export function planCancel(): { run: RunChange; steps: StepSetMove } {
  const from = [...QUEUED_STEP_STATUSES, CLAIMED_STEP_STATUS].filter((s) => canStepTransition(s, 'skipped'))
  return { run: { from: runGuard('canceled'), to: 'canceled' }, steps: { from, to: 'skipped', fenceFor: [CLAIMED_STEP_STATUS] } }
}

/**
 * A step failed for good and its run fails (planStep's `fail`): the parallel steps around it,
 * which are running while their branches do, fail; steps not yet started stop, marked with
 * STOPPED_PREFIX so a retry resumes them. Steps still running in sibling branches finish on
 * their own (or are stopped by planAbandonedStop).
 */
export function planRunFailure(): StatusMoves['runFailure'] {
  return {
    ancestors: { from: [CLAIMED_STEP_STATUS], to: 'failed' },
    stop: { from: QUEUED_STEP_STATUSES.filter((s) => canStepTransition(s, 'skipped')), to: 'skipped', fenceFor: [] },
    stoppedPrefix: STOPPED_PREFIX,
  }
}

/**
 * `retryRun`: the failed run runs again, and its failed and stopped steps go back in line. Actions
 * and conditions wait for a worker, a delay keeps its due time, and a parallel step is running at
 * once (its branches are what go back in line); failed steps get fresh attempts.
 */
export function planRetry(): { run: RunChange; steps: RetryReset } {
  const inLine: StepStatus = 'pending'
  return {
    run: { from: runGuard('running').filter((s) => !isActive(s)), to: 'running' },
    steps: {
      from: ['failed'],
      stopped: ['skipped'],
      stoppedPrefix: STOPPED_PREFIX,
      // A wait is reached again: it registers anew, its timeout counted from then.
      to: { action: inLine, condition: inLine, delay: 'scheduled', parallel: CLAIMED_STEP_STATUS, wait_for_signal: inLine },
      inLine,
      freshAttemptsFrom: ['failed'],
    },
  }
}

/** Shutdown: a claimed step goes back in line without counting its attempt. */
export function planHandBack(): StatusMoves['handBack'] {
  return { from: [CLAIMED_STEP_STATUS], to: 'pending' }
}

/**
 * The reconciler: in a run that failed (the only stopped run that can be retried), a claimed
 * step whose lease ran out will never be finished by its worker; it stops, so a retry resumes it.
 */
export function planAbandonedStop(): StatusMoves['abandonedStop'] {
  return {
    runIn: runGuard('running').filter((s) => !isActive(s)),
    from: [CLAIMED_STEP_STATUS],
    to: 'skipped',
    errorMessage: `${STOPPED_PREFIX}its worker stopped after the run had failed`,
  }
}

/** Liveness: a dead worker's claims are voided like a lease that ran out; the steps stay claimed until claimed again. */
export function planTakeover(): StatusMoves['takeover'] {
  return { claimed: [CLAIMED_STEP_STATUS] }
}

/** Every status change the store makes outside a plan, as the store reads them when it is created. */
export const STATUS_MOVES: StatusMoves = {
  claim: planClaim(),
  cancel: planCancel().steps,
  runFailure: planRunFailure(),
  retry: planRetry().steps,
  handBack: planHandBack(),
  abandonedStop: planAbandonedStop(),
  takeover: planTakeover(),
  flow: { slotHolders: ACTIVE_RUN_STATUSES },
}

/** What running (or reaching) a step came to, as far as the run state machine cares. */
export type StepOutcome =
  /** An action succeeded, a condition was true, a delay ran out. `output` goes into the run context. */
  | { kind: 'completed'; result?: JsonObject; output?: JsonObject }
  /** The step was not run (a dry run, or a replay of an action that is not replay-safe). */
  | { kind: 'skipped'; result: JsonObject }
  /** A condition returned false: its `onFalse` decides what follows. */
  | { kind: 'condition-false' }
  /** The attempt failed (a thrown error, `success: false`, a timeout, an unregistered handler). */
  | { kind: 'failed'; error: string }
  /** A parallel step was claimed: its branches start. */
  | { kind: 'started' }
  /** A wait step was reached (or delivered before its signal or timeout): it waits. */
  | { kind: 'wait'; wait: WaitRegistration }
  /**
   * The step is done and ends the list it is in, as a false condition with `onFalse: 'complete'`
   * does: a wait that timed out with `onTimeout: 'complete'`.
   */
  | { kind: 'end-list'; result: JsonObject; output: JsonObject }
  /** The step is no longer this worker's (the run was canceled, the claim taken over, shutdown). */
  | { kind: 'abandoned' }

export interface PlanInput {
  /** The run's definition snapshot. */
  steps: readonly WorkflowStep[]
  /** The step that has an outcome: where it sits and which attempt this was. */
  step: { path: StepPath; attempt: number }
  outcome: StepOutcome
  run: { status: WorkflowStatus; isDryRun: boolean }
  /** This worker can run the next step at once (it is not shutting down). */
  continueHere: boolean
}

/**
 * How a run starts with a first step of type `first`: a delay is scheduled and its run waits on
 * it (due at once in a dry run); any other first step is claimed at once when the emitting
 * process will run it, and otherwise waits in line with its run pending. A run held by flow
 * control stays pending with its first step parked until it is admitted (then it starts as a
 * queued one does).
 */
export function planRunStart(first: StepType, how: { claimHere: boolean; isDryRun: boolean; held?: boolean }): RunStart {
  if (how.held) return { step: 'pending', run: 'pending', claim: false, started: false, due: 'parked' }
  if (first === 'delay') return { step: 'scheduled', run: 'waiting', claim: false, started: true, due: how.isDryRun ? 'now' : 'after-delay' }
  if (how.claimHere) return { step: 'running', run: 'running', claim: true, started: true, due: null }
  return { step: 'pending', run: 'pending', claim: false, started: false, due: null }
}

/**
 * How a held run starts once flow control admits it: as a queued run starts, except that a run
 * admitted for a later time (its throttle's next start, the end of its debounce window) has its
 * first step scheduled for then.
 */
export function planAdmission(first: StepType, later: boolean): { step: 'pending' | 'scheduled'; run: WorkflowStatus } {
  const start = planRunStart(first, { claimHere: false, isDryRun: false })
  if (start.step === 'pending' && later) return { step: 'scheduled', run: start.run }
  return { step: start.step === 'running' ? 'pending' : start.step, run: start.run }
}

const STEP_TYPES: readonly StepType[] = ['action', 'condition', 'delay', 'parallel', 'wait_for_signal']
const startsFor = (how: { claimHere: boolean; isDryRun: boolean; held?: boolean }) =>
  Object.fromEntries(STEP_TYPES.map((type) => [type, planRunStart(type, how)])) as Record<StepType, RunStart>

/**
 * `planRunStart` for every first step type and way of starting, as one table: the statement that
 * matches a signal and creates its runs in Postgres reads the statuses from it.
 */
export const RUN_STARTS: RunStarts = {
  queued: startsFor({ claimHere: false, isDryRun: false }),
  claimed: startsFor({ claimHere: true, isDryRun: false }),
  'dry-run': startsFor({ claimHere: false, isDryRun: true }),
  held: startsFor({ claimHere: false, isDryRun: false, held: true }),
}

/** Longest wait between two attempts of a step. */
const MAX_BACKOFF_MS = 3_600_000

/**
 * Plans what a step's outcome does to its run: the step's own row, the run context, the steps
 * that follow, the enclosing parallel steps and the run's status. Pure: the same input always
 * gives the same plan.
 *
 * @example
 * ```ts
 * const plan = planStep({ steps, step: { path: [0], attempt: 1 }, outcome: { kind: 'completed' },
 *   run: { status: 'running', isDryRun: false }, continueHere: true })
 * // plan.create[0] is the step at [1], claimed for this worker; plan.run is unset.
 * ```
 */
export function planStep(input: PlanInput): Plan {
  const { steps, step, outcome, run } = input
  const def = stepAt(steps, step.path)
  const empty = (change: StepChange): Plan => ({ plannedFor: run.status, step: change, skip: [], create: [] })
  switch (outcome.kind) {
    case 'abandoned':
      return empty({ kind: 'none' })
    case 'failed': {
      const maxAttempts = def.retryPolicy?.maxAttempts ?? 1
      if (step.attempt < maxAttempts) {
        const backoffMs = Math.min((def.retryPolicy?.backoffMs ?? 0) * 2 ** (step.attempt - 1), MAX_BACKOFF_MS)
        return {
          ...empty({ kind: 'retry', backoffMs, errorMessage: outcome.error }),
          log: {
            level: 'warn',
            message: `attempt ${step.attempt} of ${maxAttempts} failed; retrying in ${backoffMs} ms`,
            data: { error: outcome.error, attempt: step.attempt },
          },
        }
      }
      const plan = empty({ kind: 'finish', status: 'failed', errorMessage: outcome.error })
      if (!isActive(run.status) || !canTransition(run.status, 'failed')) return plan
      const message = `step "${def.name}" failed: ${outcome.error}`
      return { ...plan, fail: { ancestors: (step.path.length - 1) / 2, message }, run: { from: runGuard('failed'), to: 'failed', errorMessage: message } }
    }
    case 'wait': {
      // Reached after a sibling branch failed the run: stopped, so that a retry resumes it.
      if (run.status === 'failed') return empty({ kind: 'finish', status: 'skipped', errorMessage: `${STOPPED_PREFIX}the run failed before this wait began` })
      if (!isActive(run.status)) return empty({ kind: 'none' })
      const plan = empty({ kind: 'wait', wait: outcome.wait })
      // In a branch the run keeps running while the other branches do, as with a delay.
      if (isTopLevel(step.path) && isActive(run.status) && run.status !== 'waiting' && canTransition(run.status, 'waiting')) {
        plan.run = { from: runGuard('waiting'), to: 'waiting' }
      }
      return plan
    }
    case 'end-list': {
      const plan = empty({ kind: 'finish', status: 'completed', result: outcome.result })
      plan.output = { name: def.name, data: outcome.output }
      return endList(plan, input, step.path)
    }
    case 'started': {
      const plan = empty({ kind: 'release' })
      for (let b = 0; b < (def.branches?.length ?? 0); b++) addStep(plan, input, [...step.path, b, 0], 'child', false)
      return plan
    }
    case 'completed': {
      const plan = empty({ kind: 'finish', status: 'completed', ...(outcome.result !== undefined ? { result: outcome.result } : {}) })
      if (outcome.output !== undefined) plan.output = { name: def.name, data: outcome.output }
      const inline = input.continueHere && (def.type === 'action' || def.type === 'condition')
      return moveOn(plan, input, step.path, inline)
    }
    case 'skipped':
      return moveOn(empty({ kind: 'finish', status: 'skipped', result: outcome.result }), input, step.path, false)
    case 'condition-false': {
      const plan = empty({ kind: 'finish', status: 'completed', result: { value: false } })
      const onFalse = def.onFalse ?? 'complete'
      if (onFalse === 'complete') return endList(plan, input, step.path)
      let at: StepPath = step.path
      for (let i = 0; i < (onFalse === 'skip' ? 1 : onFalse); i++) {
        const next = nextPath(steps, at)
        if (!next) break
        const skipped = stepAt(steps, next)
        plan.skip.push({ path: next, stepType: skipped.type, stepName: skipped.name, result: { skippedBy: def.name } })
        at = next
      }
      return moveOn(plan, input, at, false)
    }
  }
}

/** After the step at `from`: the next step in its list, or the end of the list. */
function moveOn(plan: Plan, input: PlanInput, from: StepPath, inline: boolean): Plan {
  const next = nextPath(input.steps, from)
  if (!next) return endList(plan, input, from)
  addStep(plan, input, next, 'sibling', inline)
  return plan
}

/**
 * The list the step at `at` belongs to has ended: the run completes, or one branch of a parallel
 * step is done (and, once all are, the parallel step completes and its run moves on from it).
 */
function endList(plan: Plan, input: PlanInput, at: StepPath): Plan {
  if (isTopLevel(at)) {
    if (isActive(input.run.status) && canTransition(input.run.status, 'completed')) plan.run = { from: runGuard('completed'), to: 'completed' }
    return plan
  }
  const parallelAt = parentPath(at)!
  const parallel = stepAt(input.steps, parallelAt)
  const then: Plan = { plannedFor: input.run.status, step: { kind: 'settle', status: 'completed' }, skip: [], create: [] }
  plan.branchDone = { branches: parallel.branches?.length ?? 0, then: moveOn(then, input, parallelAt, false) }
  return plan
}

/**
 * Adds the row for the step at `at`. Nothing starts in a canceled or completed run; while the run
 * is failed (a sibling branch failed, and a branch that was still running finishes afterwards)
 * the row is created stopped, so a retry of the run resumes it.
 */
function addStep(plan: Plan, input: PlanInput, at: number[], parent: 'sibling' | 'child', inline: boolean): void {
  const { run } = input
  if (run.status === 'canceled' || run.status === 'completed') return
  const def = stepAt(input.steps, at)
  const base = { path: at, stepType: def.type, stepName: def.name, parent }
  if (run.status === 'failed') {
    plan.create.push({ ...base, status: 'skipped', errorMessage: `${STOPPED_PREFIX}the run failed before this step started` })
    return
  }
  const isDelay = def.type === 'delay'
  const claimNow = inline && run.status === 'running' && (def.type === 'action' || def.type === 'condition')
  plan.create.push({
    ...base,
    status: isDelay ? 'scheduled' : claimNow ? 'running' : 'pending',
    ...(isDelay ? { dueInMs: run.isDryRun ? 0 : (def.delayMs ?? 0) } : {}),
  })
  if (isTopLevel(at)) {
    const status = isDelay ? 'waiting' : 'running'
    // The run may stay where it is or move there: the index changes either way.
    plan.position = { stepIndex: at[0]!, status, from: ACTIVE_RUN_STATUSES.filter((s) => s === status || canTransition(s, status)) }
  }
}
