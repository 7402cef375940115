import type { JsonObject, LogLevel, StepStatus, StepType, WorkflowStatus } from '../types.js'
import type { RunRecord, StepRecord } from './rows.js'
import type { WaitRegistration } from './waits.js'

// The vocabulary of transitions: what src/runtime/run-state.ts decides and the store executes.
// The store never decides a status on its own; it writes what a plan says.

/** What happens to the step the plan is about. Nothing else in the plan applies unless this does. */
export type StepChange =
  /** End the attempt (fenced: only while the claim still holds). */
  | { kind: 'finish'; status: 'completed' | 'failed' | 'skipped'; result?: JsonObject; errorMessage?: string }
  /** Another attempt after `backoffMs` (fenced). */
  | { kind: 'retry'; backoffMs: number; errorMessage: string }
  /** A parallel step keeps running while its branches do, holding no lease. */
  | { kind: 'release' }
  /** A parallel step whose branches are all done completes (guarded on it still running). */
  | { kind: 'settle'; status: 'completed' }
  /**
   * A wait step is reached (fenced): its wait is registered, and the step is scheduled for its
   * timeout, or due at once when a matching signal is already stored.
   */
  | { kind: 'wait'; wait: WaitRegistration }
  /** Nothing is written. */
  | { kind: 'none' }

/**
 * A step row to create. `parent` names the parallel step that owns its branch relative to the
 * step the plan is about: `sibling` shares that step's parent, `child` is a branch of that step.
 * `running` means claimed at once by the worker that made the plan.
 */
export interface PlannedStep {
  path: number[]
  stepType: StepType
  stepName: string
  status: 'running' | 'pending' | 'scheduled' | 'skipped'
  /** A delay's wait, as defined (the store applies the delay scale). */
  dueInMs?: number
  errorMessage?: string
  parent: 'sibling' | 'child'
}

/** A guarded change of the run's status: applies only while the run is in one of `from`. */
export interface RunChange {
  from: readonly WorkflowStatus[]
  to: WorkflowStatus
  errorMessage?: string
}

/**
 * A transition, decided: the rows to write and the statuses to set, in the order they apply.
 * Made by `planStep` without I/O; executed by the store in one statement (the fast path, for
 * plans of that shape) or in one transaction with the run locked.
 */
export interface Plan {
  /** The run status the plan was made for. An executor that decides without the run's lock must check it still holds. */
  plannedFor: WorkflowStatus
  step: StepChange
  /** A line in the run's log, written with the step change. */
  log?: { level: LogLevel; message: string; data: JsonObject }
  /** Added to the run's context under `name`, where later steps read it as `ctx.steps[name]`. */
  output?: { name: string; data: JsonObject }
  /** Steps recorded as skipped without running (after a false condition). */
  skip: { path: number[]; stepType: StepType; stepName: string; result: JsonObject }[]
  create: PlannedStep[]
  /** The run is now at this top-level step: running it, or waiting on its delay. Applies only if the step was created. */
  position?: { stepIndex: number; status: 'running' | 'waiting'; from: readonly WorkflowStatus[] }
  /**
   * The step ended a branch: count it on the parallel step. When that count reaches `branches`
   * (and the parallel step is still running), `then` applies to the parallel step.
   */
  branchDone?: { branches: number; then: Plan }
  /** The run fails: the `ancestors` parallel steps around the step fail and steps not yet finished stop. */
  fail?: { ancestors: number; message: string }
  run?: RunChange
}

/**
 * Whether a plan can run as the one-statement fast path: finish the step as completed, maybe
 * merge its output, then either claim the next action or condition of the same list for this
 * worker or complete the run, all while the run is still running. Anything else (delays, parallel
 * steps, branch ends, skips, failures) takes the transaction.
 */
export function isFastPlan(plan: Plan): boolean {
  if (plan.plannedFor !== 'running' || plan.step.kind !== 'finish' || plan.step.status !== 'completed') return false
  if (plan.skip.length > 0 || plan.branchDone || plan.fail || plan.log) return false
  const claimsNext = plan.create.length === 1 && plan.create[0]!.status === 'running' && plan.create[0]!.parent === 'sibling' && !plan.run
  const completesRun = plan.create.length === 0 && plan.run?.to === 'completed' && sameStatuses(plan.run.from, ['running'])
  return claimsNext || completesRun
}

function sameStatuses(a: readonly WorkflowStatus[], b: readonly WorkflowStatus[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s))
}

/**
 * What a committed transition asks for afterwards: jobs to add or remove and hooks to fire.
 * Collected inside the transaction and applied only after COMMIT, so a rolled-back transition
 * never enqueues a job or fires a hook.
 */
export interface Effects {
  enqueue: StepRecord[]
  removeJobs: StepRecord[]
  finishedSteps: StepRecord[]
  endedRun?: RunRecord
}

export function noEffects(): Effects {
  return { enqueue: [], removeJobs: [], finishedSteps: [] }
}

/**
 * How a new run and its first step start, for each type of first step: the statuses they are
 * created with, whether the first step is claimed by the emitting process at once, and when a
 * first delay is due. Given per way of starting: `queued` (the first step goes through the
 * queue), `claimed` (the emitting process runs it) and `dry-run` (a replay that does nothing).
 */
export interface RunStart {
  step: 'pending' | 'scheduled' | 'running'
  run: WorkflowStatus
  claim: boolean
  /** The run counts as started (its started_at is set). */
  started: boolean
  /** `parked`: not due until flow control admits the run (see FlowStore). */
  due: 'now' | 'after-delay' | 'parked' | null
}

export type RunStarts = Record<'queued' | 'claimed' | 'dry-run' | 'held', Record<StepType, RunStart>>

/**
 * Steps of one run moved to `to` from any of `from`, all at once (a cancel, a failed run
 * stopping what had not started, the run's retry). A step in one of `fenceFor` is claimed by a
 * worker: its fence moves, so that worker's late write counts for nothing.
 */
export interface StepSetMove {
  from: readonly StepStatus[]
  to: StepStatus
  fenceFor: readonly StepStatus[]
}

/**
 * What a claim moves: a step waiting in line (`step.from`) becomes claimed (`step.to`), or a
 * claimed one whose lease ran out is taken over (its status stays `step.to`); only in a run in
 * `runIn`, and the run moves from `run.from` to `run.to` with its first claimed step.
 */
export interface ClaimMoves {
  runIn: readonly WorkflowStatus[]
  step: { from: readonly StepStatus[]; to: StepStatus }
  run: { from: readonly WorkflowStatus[]; to: WorkflowStatus }
}

/**
 * How a failed run's steps go back in line when it is retried: steps in `from`, and steps in
 * `stopped` whose error message starts with `stoppedPrefix` (stopped because the run failed), take
 * the status for their type in `to`. A `scheduled` target applies only to a step with a due time;
 * one without goes to `inLine`. Steps in `freshAttemptsFrom` start counting attempts again.
 */
export interface RetryReset {
  from: readonly StepStatus[]
  stopped: readonly StepStatus[]
  stoppedPrefix: string
  to: Readonly<Record<StepType, StepStatus>>
  inLine: StepStatus
  freshAttemptsFrom: readonly StepStatus[]
}

/**
 * Every status change the store makes outside a `Plan`, decided by src/runtime/run-state.ts (see
 * STATUS_MOVES there) and given to the store when it is created. The statements embed these
 * statuses as SQL literals when their text is built.
 */
export interface StatusMoves {
  claim: ClaimMoves
  /** `cancelRun`: the run's unfinished steps, running ones included. */
  cancel: StepSetMove
  /** A step failed for good: its enclosing parallel steps fail, and steps not yet started stop. */
  runFailure: { ancestors: { from: readonly StepStatus[]; to: StepStatus }; stop: StepSetMove; stoppedPrefix: string }
  retry: RetryReset
  /** Shutdown: a claimed step goes back in line, its attempt not counted. */
  handBack: { from: readonly StepStatus[]; to: StepStatus }
  /** The reconciler: a failed run's claimed steps whose lease ran out stop, with `errorMessage`. */
  abandonedStop: { runIn: readonly WorkflowStatus[]; from: readonly StepStatus[]; to: StepStatus; errorMessage: string }
  /** Liveness: the claims (steps in `claimed`) of a dead worker are voided; their status stays. */
  takeover: { claimed: readonly StepStatus[] }
  /** Flow control: an admitted run in one of `slotHolders` holds its concurrency slot. */
  flow: { slotHolders: readonly WorkflowStatus[] }
}
