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
  isEnabled: boolean
}
