import type { StepRecord, WaitRecord } from '../store/index.js'
import type { ExecutionLog, RunTimelineEntry, WorkflowRun } from '../types.js'

/**
 * Builds a run's timeline from what is stored: the run's timestamps, each step row's
 * timestamps, its waits for signals and every execution log line, in chronological order. Entries with the same
 * timestamp keep their natural order (created before started before finished).
 */
export function buildTimeline(run: WorkflowRun, steps: StepRecord[], logs: ExecutionLog[], waits: WaitRecord[] = []): RunTimelineEntry[] {
  const entries: { entry: RunTimelineEntry; order: number; depth: number }[] = []
  let order = 0
  let depth = 0
  const add = (entry: RunTimelineEntry) => entries.push({ entry, order: order++, depth })

  add({ timestamp: run.createdAt, type: 'run_created', detail: { triggerId: run.triggerId, isReplay: run.isReplay } })
  for (const step of steps) {
    depth = step.path.length
    const about = { stepIndex: step.stepIndex, stepName: step.stepName, stepType: step.stepType }
    add({
      timestamp: step.createdAt,
      type: 'step_scheduled',
      ...about,
      detail: {
        stepRunId: step.id,
        ...(step.scheduledFor ? { scheduledFor: step.scheduledFor.toISOString() } : {}),
        ...(step.branchIndex !== undefined ? { branchIndex: step.branchIndex } : {}),
      },
    })
    if (step.startedAt) add({ timestamp: step.startedAt, type: 'step_started', ...about, detail: { attempt: step.attempt } })
    if (step.completedAt) {
      if (step.status === 'completed') {
        add({ timestamp: step.completedAt, type: 'step_completed', ...about, ...(step.result ? { detail: step.result } : {}) })
      } else if (step.status === 'failed') {
        add({ timestamp: step.completedAt, type: 'step_failed', ...about, detail: { error: step.errorMessage ?? '', attempt: step.attempt } })
      } else if (step.status === 'skipped') {
        const reason = step.errorMessage ?? (typeof step.result?.reason === 'string' ? step.result.reason : undefined)
        add({ timestamp: step.completedAt, type: 'step_skipped', ...about, detail: { ...step.result, ...(reason ? { reason } : {}) } })
      }
    }
  }
  const byId = new Map(steps.map((s) => [s.id, s]))
  for (const wait of waits) {
    const step = byId.get(wait.stepRunId)
    depth = step?.path.length ?? 1
    const about = step ? { stepIndex: step.stepIndex, stepName: step.stepName, stepType: step.stepType } : { stepName: wait.stepName }
    add({
      timestamp: wait.createdAt,
      type: 'wait_started',
      ...about,
      detail: { signalTypes: wait.signalTypes, match: wait.match, timeoutAt: wait.timeoutAt.toISOString() },
    })
    if (wait.resolvedAt && wait.status === 'received') add({ timestamp: wait.resolvedAt, type: 'signal_received', ...about, detail: { signalId: wait.signalId } })
    if (wait.resolvedAt && wait.status === 'timed_out') add({ timestamp: wait.resolvedAt, type: 'wait_timed_out', ...about, detail: { timeoutAt: wait.timeoutAt.toISOString() } })
  }
  depth = 0
  for (const log of logs) {
    // A log line names the step that wrote it, as the step's own entries do.
    const step = log.stepRunId ? byId.get(log.stepRunId) : undefined
    const about = step ? { stepIndex: step.stepIndex, stepName: step.stepName, stepType: step.stepType } : log.stepName ? { stepName: log.stepName } : {}
    add({ timestamp: log.createdAt, type: 'log', ...about, detail: { level: log.level, message: log.message, ...(log.data ? { data: log.data } : {}) } })
  }
  if (run.completedAt) add({ timestamp: run.completedAt, type: 'run_completed' })
  if (run.failedAt) add({ timestamp: run.failedAt, type: 'run_failed', detail: { error: run.errorMessage ?? '' } })
  if (run.canceledAt) add({ timestamp: run.canceledAt, type: 'run_canceled', detail: { reason: run.cancelReason ?? '' } })

  const finishes = new Set(['step_completed', 'step_failed', 'step_skipped'])
  entries.sort(
    (a, b) =>
      a.entry.timestamp.getTime() - b.entry.timestamp.getTime() ||
      // A parallel step and its last branch step finish in the same transaction: branch first.
      (finishes.has(a.entry.type) && finishes.has(b.entry.type) ? b.depth - a.depth : 0) ||
      logTie(a.entry, b.entry) ||
      a.order - b.order,
  )
  return entries.map((e) => e.entry)
}

/**
 * Log lines are listed after the step rows they belong to, so within one millisecond a log line
 * goes after starts but before the finishes and schedules that follow it.
 */
function logTie(a: RunTimelineEntry, b: RunTimelineEntry): number {
  if ((a.type === 'log') === (b.type === 'log')) return 0
  const other = a.type === 'log' ? b : a
  const logFirst = other.type !== 'step_started' && other.type !== 'run_created'
  return (a.type === 'log') === logFirst ? -1 : 1
}
