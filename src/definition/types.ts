/** The kinds of step a workflow is made of. */
export type StepType = 'action' | 'condition' | 'delay' | 'parallel' | 'wait_for_signal'

/**
 * Where a signal's value is read for matching: `'resourceId'`, `'resourceType'`, `'environment'`,
 * or `'payload.<field>'` (nested fields joined with dots). Two signals match on a path when both
 * have the same JSON value there (both missing counts as the same).
 */
export type MatchPath = 'resourceId' | 'resourceType' | 'environment' | `payload.${string}`

/** What a wait step does when no matching signal came in time. */
export type OnTimeout = 'continue' | 'fail' | 'complete'

/**
 * Cancels a run when a matching signal arrives: a signal of `signalType`, stored after the run
 * was created, with the same values as the run's trigger at every `match` path.
 */
export interface CancelOn {
  signalType: string
  match: MatchPath[]
}

/** How often a failing action is attempted, and how long to wait between attempts. */
export interface RetryPolicy {
  /** Total attempts including the first, 1 to 10. */
  maxAttempts: number
  /** Base wait before the next attempt, 100 to 300000 ms; it doubles with each attempt. */
  backoffMs: number
}

/**
 * What a condition step does when its handler returns `false`: `'complete'` ends the run
 * successfully, `'skip'` skips the next step, and a number N skips the next N steps.
 */
export type OnFalse = 'complete' | 'skip' | number

/**
 * One step of a workflow, as stored in Postgres and executed by the runtime. Action and
 * condition steps name a registered handler through `name`, so a name appears once per workflow.
 */
export interface WorkflowStep {
  type: StepType
  name: string
  config?: Record<string, unknown>
  /** Delay steps: how long to wait, 1 ms to 30 days. */
  delayMs?: number
  /**
   * Action and condition steps: abort the attempt after this many ms. Wait steps: how long to
   * wait for a matching signal, 1 ms to 30 days.
   */
  timeoutMs?: number
  /** Action steps: attempts and backoff. Without it an action is attempted once. */
  retryPolicy?: RetryPolicy
  /** Condition steps: what happens when the condition is false (default `'complete'`). */
  onFalse?: OnFalse
  /** Parallel steps: two or more branches, each a list of steps. */
  branches?: WorkflowStep[][]
  /** Wait steps: the signal types awaited; the first matching signal of any of them resolves the wait. */
  signalTypes?: string[]
  /** Wait steps: the paths at which the awaited signal must have the run's trigger's values. */
  match?: MatchPath[]
  /** Wait steps: what happens when the timeout passes first (default `'continue'`). */
  onTimeout?: OnTimeout
}

/**
 * A workflow in its portable form: what `workflow(...).compile()` returns, what
 * `engine.sync()` stores per tenant and what `validateDefinition()` checks.
 */
export interface WorkflowSpec {
  /** Stable identifier of the workflow inside a tenant; sync matches definitions by it. */
  key: string
  name: string
  description?: string
  triggerType: string
  environmentFilter?: string
  resourceTypeFilter?: string
  steps: WorkflowStep[]
  config: Record<string, unknown>
  /** Cron schedule (5 fields, or 6 with leading seconds); the engine emits the trigger on it. */
  cronExpression?: string
  /** IANA time zone the cron expression is read in; UTC when absent. */
  cronTimezone?: string
  /** Signals that cancel a run of this workflow while it is active. */
  cancelOn?: CancelOn[]
  /** Limits on when and how often runs of this workflow start; none when absent. */
  flow?: FlowControl
  isEnabled: boolean
}

/**
 * What happens to a new run when its key already has `limit` active runs: `'queue'` (it waits
 * and starts when a slot frees), `'skip'` (the signal starts no run), `'cancel-running'` (the
 * active run is canceled and the new one starts).
 */
export type ConcurrencyMode = 'queue' | 'skip' | 'cancel-running'

/** At most `limit` active runs per key. */
export interface ConcurrencyLimit {
  /** Active runs allowed at once per key, 1 to 100,000. */
  limit: number
  /** What the runs are counted by, within the tenant; the tenant alone when absent. */
  key?: MatchPath
  /** Default `'queue'`. */
  mode?: ConcurrencyMode
}

/** At most `limit` run starts per `periodMs` per key; the excess waits and starts later, in order. */
export interface ThrottleLimit {
  /** Run starts allowed per period per key, 1 to 100,000. */
  limit: number
  /** The period, 1 ms to 30 days. */
  periodMs: number
  /** What the starts are counted by, within the tenant; the tenant alone when absent. */
  key?: MatchPath
}

/** At most `limit` run starts per `periodMs` per key; the excess starts no run. */
export interface RateLimit {
  /** Run starts allowed per period per key, 1 to 100,000. */
  limit: number
  /** The period, 1 ms to 30 days. */
  periodMs: number
  /** What the starts are counted by, within the tenant; the tenant alone when absent. */
  key?: MatchPath
}

/**
 * Signals of one key that come within `waitMs` of each other start one run, once that quiet
 * period has passed, with the last signal as its trigger.
 */
export interface DebounceWindow {
  /** The quiet period, 1 ms to 30 days. */
  waitMs: number
  /** The longest delay from the first signal, `waitMs` to 30 days; unbounded when absent. */
  maxWaitMs?: number
  /** What the signals are grouped by, within the tenant; the tenant alone when absent. */
  key?: MatchPath
}

/**
 * Per-workflow flow control: how many runs may be active, how often they may start, how signals
 * are debounced, and which waiting runs of a tenant start first.
 */
export interface FlowControl {
  concurrency?: ConcurrencyLimit
  throttle?: ThrottleLimit
  rateLimit?: RateLimit
  debounce?: DebounceWindow
  /** Among a tenant's waiting runs, higher starts first; 1 to 10, 5 when absent. */
  priority?: number
}
