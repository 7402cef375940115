/** The four kinds of step a workflow is made of. */
export type StepType = 'action' | 'condition' | 'delay' | 'parallel'

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
  /** Action and condition steps: abort the attempt after this many ms. */
  timeoutMs?: number
  /** Action steps: attempts and backoff. Without it an action is attempted once. */
  retryPolicy?: RetryPolicy
  /** Condition steps: what happens when the condition is false (default `'complete'`). */
  onFalse?: OnFalse
  /** Parallel steps: two or more branches, each a list of steps. */
  branches?: WorkflowStep[][]
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
  isEnabled: boolean
}
