import type { WaitRecord } from '../store/index.js'
import type { WorkflowRun, WorkflowStepRun } from '../types.js'
import { formatTime } from './format.js'

export type RunWait = Pick<WaitRecord, 'stepRunId' | 'signalTypes' | 'match' | 'status' | 'signalId' | 'createdAt' | 'timeoutAt' | 'resolvedAt'>

/** One reason a run is where it is: what it waits for, and until when. */
export interface Blocker {
  kind: 'finished' | 'failed' | 'delay' | 'signal' | 'queued' | 'running' | 'canceled' | 'slot' | 'throttle' | 'debounce'
  text: string
}

/**
 * Why a run is not moving, read from its rows: a delay until T, a signal (with its timeout), a
 * worker slot (a step due but not yet claimed), a handler still running, or the failure that
 * stopped it. Pure, so the answer for each state is tested without a database.
 */
export function runBlockers(run: WorkflowRun, steps: readonly WorkflowStepRun[], waits: readonly RunWait[], now: Date): Blocker[] {
  if (run.status === 'completed') return [{ kind: 'finished', text: `Completed at ${formatTime(run.completedAt)}; nothing left to do.` }]
  if (run.status === 'canceled') return [{ kind: 'canceled', text: `Canceled at ${formatTime(run.canceledAt)}${run.cancelReason ? `: ${run.cancelReason}` : ''}.` }]
  if (run.status === 'failed') {
    const failed = steps.filter((s) => s.status === 'failed')
    const at = failed.length > 0 ? ` at step ${failed.map((s) => s.stepName).join(', ')}` : ''
    return [{ kind: 'failed', text: `Failed${at}: ${run.errorMessage ?? 'no error recorded'}. Retry it to continue from the failed step.` }]
  }
  if (run.heldBy === 'concurrency') {
    const limit = run.definitionSnapshot.flow?.concurrency
    const per = limit?.key ? ` per ${limit.key}` : ''
    return [{ kind: 'slot', text: `Waits for a concurrency slot${limit ? ` (at most ${limit.limit} active runs${per})` : ''}: it starts when a run holding one ends.` }]
  }
  if (run.heldBy === 'throttle' || run.heldBy === 'debounce') {
    const due = steps[0]?.scheduledFor
    const until = due ? ` until ${formatTime(due)}` : ''
    const text =
      run.heldBy === 'throttle'
        ? `Held back by its workflow's throttle${until}, the start it was allotted.`
        : `Held back by its workflow's debounce${until}: each further signal for its key moves that later, up to its maximum wait.`
    return [{ kind: run.heldBy, text }]
  }
  const open = new Map(waits.filter((w) => w.status === 'open').map((w) => [w.stepRunId, w]))
  const blockers: Blocker[] = []
  for (const step of steps) {
    if (step.status === 'running') {
      blockers.push({ kind: 'running', text: `Step ${step.stepName} is running (attempt ${step.attempt}, since ${formatTime(step.startedAt)}).` })
      continue
    }
    if (step.status !== 'pending' && step.status !== 'scheduled') continue
    const wait = open.get(step.id)
    if (wait) {
      const match = Object.keys(wait.match).length > 0 ? ` matching ${Object.entries(wait.match).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}` : ''
      blockers.push({ kind: 'signal', text: `Step ${step.stepName} waits for a signal ${wait.signalTypes.join(' or ')}${match}, until ${formatTime(wait.timeoutAt)} at the latest.` })
      continue
    }
    const due = step.scheduledFor ?? step.createdAt
    if (due.getTime() > now.getTime()) {
      const what = step.stepType === 'delay' ? 'waits in a delay' : step.attempt > 0 ? `waits to be attempted again (attempt ${step.attempt + 1})` : 'is scheduled'
      blockers.push({ kind: 'delay', text: `Step ${step.stepName} ${what} until ${formatTime(due)}.` })
    } else {
      blockers.push({
        kind: 'queued',
        text: `Step ${step.stepName} has been due since ${formatTime(due)} and waits for a worker slot: is an engine started (engine.start(), pulse worker, pulse dev) and are its slots busy?`,
      })
    }
  }
  if (blockers.length === 0) blockers.push({ kind: 'queued', text: `The run is ${run.status} and no step is due yet; it starts when a worker picks it up.` })
  return blockers
}
