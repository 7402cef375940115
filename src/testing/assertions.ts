import { AssertionError } from 'node:assert'
import type { StepStatus, WorkflowStatus } from '../types.js'
import type { RunReport } from './run-report.js'

/*
 * Assertions that throw node's AssertionError, which vitest, jest and node:test all report as a
 * failed assertion with its expected and actual values: no dependency on one test runner.
 */

/**
 * Fails unless the run ended (or stands) in `status`; the message lists each step's status and
 * the run's error.
 *
 * @example
 * ```ts
 * assertRunStatus(await t.run(runId), 'completed')
 * ```
 */
export function assertRunStatus(report: RunReport, status: WorkflowStatus): void {
  if (report.run.status === status) return
  throw new AssertionError({
    message:
      `run ${report.run.id} is ${report.run.status}, expected ${status}` +
      (report.run.errorMessage ? ` (error: ${report.run.errorMessage})` : '') +
      `; steps: ${JSON.stringify(report.statuses())}`,
    actual: report.run.status,
    expected: status,
    operator: 'assertRunStatus',
  })
}

/**
 * Fails unless the named step of the run has `status`.
 *
 * @example
 * ```ts
 * assertStepStatus(report, 'notify_sales', 'skipped')
 * ```
 */
export function assertStepStatus(report: RunReport, stepName: string, status: StepStatus): void {
  const step = report.step(stepName)
  if (step?.status === status) return
  throw new AssertionError({
    message: step
      ? `step "${stepName}" of run ${report.run.id} is ${step.status}, expected ${status}${step.errorMessage ? ` (error: ${step.errorMessage})` : ''}`
      : `run ${report.run.id} has no step "${stepName}"; it reached ${JSON.stringify(Object.keys(report.statuses()))}`,
    actual: step?.status,
    expected: status,
    operator: 'assertStepStatus',
  })
}

/**
 * Fails unless the run's timeline holds these events in this order (others may come between),
 * each written as {@link RunReport.events} writes them: `'step_completed send_warning'`, `'run_completed'`.
 *
 * @example
 * ```ts
 * assertTimeline(report, ['step_failed charge', 'step_completed charge', 'run_completed'])
 * ```
 */
export function assertTimeline(report: RunReport, expected: string[]): void {
  const events = report.events()
  let from = 0
  for (const event of expected) {
    const at = events.indexOf(event, from)
    if (at < 0) {
      throw new AssertionError({
        message: `the timeline of run ${report.run.id} has no "${event}"${from > 0 ? ` after "${events[from - 1]}"` : ''}`,
        actual: events,
        expected,
        operator: 'assertTimeline',
      })
    }
    from = at + 1
  }
}
