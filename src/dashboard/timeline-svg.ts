import { html } from 'hono/html'
import type { ExecutionLog, WorkflowRun, WorkflowStepRun } from '../types.js'
import { formatDuration, formatTime } from './format.js'
import type { Html } from './layout.js'
import type { RunWait } from './run-blockers.js'

const LANE = 26
const LABEL = 220
const WIDTH = 900
const PLOT = WIDTH - LABEL - 20

/** Steps in lane order: each parallel step followed by its branches' steps, branch by branch. */
export function laneOrder(steps: readonly WorkflowStepRun[]): { step: WorkflowStepRun; depth: number }[] {
  const children = new Map<string, WorkflowStepRun[]>()
  const roots: WorkflowStepRun[] = []
  for (const s of steps) {
    if (s.parentStepRunId) children.set(s.parentStepRunId, [...(children.get(s.parentStepRunId) ?? []), s])
    else roots.push(s)
  }
  const out: { step: WorkflowStepRun; depth: number }[] = []
  const visit = (s: WorkflowStepRun, depth: number) => {
    out.push({ step: s, depth })
    const kids = [...(children.get(s.id) ?? [])].sort((a, b) => (a.branchIndex ?? 0) - (b.branchIndex ?? 0) || a.createdAt.getTime() - b.createdAt.getTime())
    for (const k of kids) visit(k, depth + 1)
  }
  for (const r of roots) visit(r, 0)
  return out
}

/**
 * The run as a Gantt chart: a lane per step (branch steps under their parallel step, indented),
 * time since the run was created across. Each lane shows, in different fills, the time the step
 * waited in a delay or for a signal (with its due time), the time it was due but waited in the
 * queue for a worker, and its execution, plus a tick per failed attempt. Every bar has a
 * `<title>` for hover and screen readers; the table under it has the same facts as text.
 */
export function timelineSvg(run: WorkflowRun, steps: readonly WorkflowStepRun[], logs: readonly ExecutionLog[], waits: readonly RunWait[], now: Date): Html {
  const lanes = laneOrder(steps)
  const t0 = run.createdAt.getTime()
  const end = run.completedAt ?? run.failedAt ?? run.canceledAt ?? now
  let t1 = end.getTime()
  for (const s of steps) for (const d of [s.startedAt, s.completedAt]) if (d) t1 = Math.max(t1, d.getTime())
  const span = Math.max(1, t1 - t0)
  const x = (d: Date | number) => LABEL + (Math.min(Math.max((typeof d === 'number' ? d : d.getTime()) - t0, 0), span) / span) * PLOT
  const waitByStep = new Map(waits.map((w) => [w.stepRunId, w]))
  const failures = new Map<string, ExecutionLog[]>()
  // The engine logs each failed attempt it retries with the attempt's number in `data`.
  for (const l of logs) if (l.stepRunId && (l.level === 'error' || typeof l.data?.attempt === 'number')) failures.set(l.stepRunId, [...(failures.get(l.stepRunId) ?? []), l])
  const height = lanes.length * LANE + 40
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ x: LABEL + f * PLOT, label: `+${formatDuration(f * span)}` }))
  const bar = (cls: string, from: number, to: number, y: number, title: string) =>
    html`<rect class="${cls}" x="${from.toFixed(1)}" y="${y + 5}" width="${Math.max(2, to - from).toFixed(1)}" height="${LANE - 10}"><title>${title}</title></rect>`

  return html`<svg class="timeline" role="img" aria-labelledby="timeline-title" viewBox="0 0 ${WIDTH} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">
<title id="timeline-title">Timeline of run ${run.id}: ${lanes.length} steps over ${formatDuration(span)}</title>
${ticks.map((t, i) => html`<line class="grid" x1="${t.x.toFixed(1)}" x2="${t.x.toFixed(1)}" y1="0" y2="${height - 20}"></line><text class="tick${i === ticks.length - 1 ? ' tick-end' : ''}" x="${t.x.toFixed(1)}" y="${height - 6}">${t.label}</text>`)}
${lanes.map(({ step, depth }, i) => {
    const y = i * LANE
    const parts: Html[] = []
    const wait = waitByStep.get(step.id)
    const created = step.createdAt.getTime()
    const due = step.scheduledFor?.getTime()
    // A delay, a backoff or a wait for a signal: time the step was asleep on purpose.
    if (wait) {
      const until = wait.resolvedAt ?? (step.status === 'scheduled' ? now : wait.timeoutAt)
      parts.push(bar('sleep', x(wait.createdAt), x(until), y, `${step.stepName}: waits for ${wait.signalTypes.join(' or ')} until ${formatTime(wait.timeoutAt)} (${wait.status})`))
    } else if (due !== undefined && due > created) {
      parts.push(bar('sleep', x(created), x(due), y, `${step.stepName}: ${step.stepType === 'delay' ? 'delay' : 'scheduled'} until ${formatTime(step.scheduledFor)}`))
    }
    // Due but not yet claimed: time spent in the queue.
    const ready = Math.max(created, wait ? (wait.resolvedAt?.getTime() ?? Infinity) : (due ?? created))
    const claimed = step.startedAt?.getTime() ?? (step.status === 'pending' || step.status === 'scheduled' ? now.getTime() : undefined)
    if (Number.isFinite(ready) && claimed !== undefined && claimed > ready) {
      parts.push(bar('queued', x(ready), x(claimed), y, `${step.stepName}: waited ${formatDuration(claimed - ready)} in the queue`))
    }
    if (step.startedAt) {
      const finish = step.completedAt ?? (step.status === 'running' ? now : step.startedAt)
      parts.push(
        bar(
          `exec exec-${step.status}`,
          x(step.startedAt),
          x(finish),
          y,
          `${step.stepName}: ${step.status}, ran ${formatDuration(finish.getTime() - step.startedAt.getTime())}, attempt ${step.attempt}${step.errorMessage ? `: ${step.errorMessage}` : ''}`,
        ),
      )
    } else if (step.status === 'skipped' && step.completedAt) {
      parts.push(bar('exec exec-skipped', x(step.completedAt), x(step.completedAt) + 2, y, `${step.stepName}: skipped`))
    }
    for (const f of failures.get(step.id) ?? []) {
      const fx = x(f.createdAt).toFixed(1)
      parts.push(html`<line class="attempt" x1="${fx}" x2="${fx}" y1="${y + 2}" y2="${y + LANE - 2}"><title>failed attempt at ${formatTime(f.createdAt)}: ${f.message}</title></line>`)
    }
    const label = `${'  '.repeat(depth)}${depth > 0 && step.branchIndex !== undefined ? `[${step.branchIndex}] ` : ''}${step.stepName}${step.attempt > 1 ? ` ×${step.attempt}` : ''}`
    return html`<g class="lane lane-${step.status}" data-step="${step.stepName}" data-depth="${depth}">
<text class="lane-label" x="${4 + depth * 12}" y="${y + LANE / 2 + 4}">${label.trim()}</text>
${parts}</g>`
  })}
</svg>
<ul class="legend" aria-label="Legend"><li><span class="swatch sleep"></span>delay or wait (until its due time)</li><li><span class="swatch queued"></span>due, waiting for a worker</li><li><span class="swatch exec exec-completed"></span>executing</li><li><span class="swatch exec exec-failed"></span>failed</li><li><span class="swatch attempt"></span>failed attempt</li></ul>`
}
