import type { ExecutionLog, JsonObject, RunTimelineEntry, StepStatus, WorkflowRun, WorkflowStepRun } from '../types.js'

/**
 * Everything stored about one run, as `t.run(runId)` returns it.
 *
 * @example
 * ```ts
 * const report = await t.run(runId)
 * report.run.status              // 'completed'
 * report.statuses()              // { send_warning: 'completed', wait_3_days: 'completed', ... }
 * report.output('send_warning')  // what the action returned as data
 * ```
 */
export interface RunReport {
  run: WorkflowRun
  /** Every step row of the run, in the order they were reached (branches included). */
  steps: WorkflowStepRun[]
  timeline: RunTimelineEntry[]
  logs: ExecutionLog[]
  /** The step row of that name (the latest, if a step of that name was reached twice). */
  step(name: string): WorkflowStepRun | undefined
  /** Each step's status by name: easy to compare whole with your runner's deep equality. */
  statuses(): Record<string, StepStatus>
  /** What the step of that name returned as `data` (the run's context entry), if anything. */
  output(name: string): JsonObject | undefined
  /** The timeline's entry types, with the step name where there is one: `'step_completed send_warning'`. */
  events(): string[]
}

export function runReport(run: WorkflowRun, steps: WorkflowStepRun[], timeline: RunTimelineEntry[], logs: ExecutionLog[]): RunReport {
  const ordered = [...steps].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
  return {
    run,
    steps: ordered,
    timeline,
    logs,
    step: (name) => ordered.filter((s) => s.stepName === name).pop(),
    statuses: () => Object.fromEntries(ordered.map((s) => [s.stepName, s.status])),
    output: (name) => {
      const value = (run.context as Record<string, unknown>)[name]
      return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined
    },
    events: () => timeline.map((e) => (e.stepName ? `${e.type} ${e.stepName}` : e.type)),
  }
}
