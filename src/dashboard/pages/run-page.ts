import { html } from 'hono/html'
import type { WorkflowRun } from '../../types.js'
import type { PageContext } from '../context.js'
import { formatDuration, formatJson, formatTime } from '../format.js'
import { layout, statusBadge, type Html } from '../layout.js'
import { versionOf } from '../live-version.js'
import { runBlockers } from '../run-blockers.js'
import { laneOrder, timelineSvg } from '../timeline-svg.js'

/** A confirmed POST form: the client script asks first; without script the server asks on a page of its own. */
export function actionForm(action: string, label: string, question: string, className = 'action', fields: Record<string, string> = {}): Html {
  return html`<form method="post" action="${action}" data-confirm="${question}">
${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<input type="hidden" name="confirm" value="">
<button type="submit" class="${className}">${label}</button></form>`
}

/** One run: what it is waiting for, its timeline, steps with their outputs, logs, and the buttons that operate it. */
export async function runPage(ctx: PageContext, found: WorkflowRun, notice?: string): Promise<Html> {
  const { base } = ctx
  const scoped = ctx.engine.forTenant(found.tenantId)
  // Read before the rest, the run itself included, so a change made while the page is built
  // (a retried run completing between the caller's read and this one) still reaches it live.
  const version = versionOf(await ctx.runs.runFingerprint(found.id, [found.tenantId]))
  const run = (await scoped.getRun(found.id)) ?? found
  const [steps, logs, waits, trigger] = await Promise.all([
    scoped.getRunSteps(run.id),
    scoped.getRunLogs(run.id),
    ctx.workflows.waitsOfRun(run.id, run.tenantId),
    ctx.engine.getTrigger(run.triggerId),
  ])
  const now = new Date()
  const blockers = runBlockers(run, steps, waits, now)
  const snapshot = run.definitionSnapshot
  const runPath = `${base}/runs/${encodeURIComponent(run.id)}`
  const active = run.status === 'pending' || run.status === 'running' || run.status === 'waiting'
  const body = html`
<div id="live-region">
<dl class="facts">
<dt>Status</dt><dd>${statusBadge(run.status)}${run.isReplay ? html` <span class="tag">replay</span>` : ''}</dd>
<dt>Tenant</dt><dd>${run.tenantId}</dd>
<dt>Workflow</dt><dd><a href="${base}/workflows/${encodeURIComponent(run.definitionId)}">${snapshot.key ?? snapshot.name}</a>, version ${snapshot.version} (the definition this run executes)</dd>
<dt>Signal</dt><dd><a href="${base}/signals/${encodeURIComponent(run.triggerId)}">${trigger ? `${trigger.type} ${run.triggerId}` : run.triggerId}</a></dd>
<dt>Created</dt><dd>${formatTime(run.createdAt)}</dd>
<dt>Updated</dt><dd>${formatTime(run.updatedAt)}</dd>
${run.errorMessage ? html`<dt>Error</dt><dd class="error-text">${run.errorMessage}</dd>` : ''}
</dl>
<section class="why" aria-labelledby="why-title"><h2 id="why-title">${active ? 'Why is it not moving?' : 'Where it stands'}</h2>
<ul>${blockers.map((b) => html`<li class="blocker blocker-${b.kind}">${b.text}</li>`)}</ul></section>
<section class="actions" aria-label="Operate this run">
${run.status === 'failed' ? actionForm(`${runPath}/retry`, 'Retry', `Retry run ${run.id} from the failed step?`) : ''}
${active ? actionForm(`${runPath}/cancel`, 'Cancel', `Cancel run ${run.id}? Its remaining steps are skipped.`, 'action danger') : ''}
${actionForm(`${runPath}/replay`, 'Replay', `Replay signal ${run.triggerId}? It starts new runs of the tenant's current workflows; actions not declared replay-safe are skipped.`)}
${actionForm(`${runPath}/replay`, 'Replay (dry run)', `Dry-run replay of signal ${run.triggerId}? Conditions are evaluated, every action is skipped.`, 'action', { dryRun: 'true' })}
</section>
<section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>
${timelineSvg(run, steps, logs, waits, now)}</section>
<section aria-labelledby="steps-h"><h2 id="steps-h">Steps</h2>
<table class="steps"><thead><tr><th scope="col">Step</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Attempt</th><th scope="col">Due</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Output or error</th></tr></thead>
<tbody>${laneOrder(steps).map(
    ({ step, depth }) => html`<tr data-step="${step.stepName}">
<td class="depth-${Math.min(depth, 4)}">${step.stepName}</td><td>${step.stepType}</td><td>${statusBadge(step.status)}</td><td>${step.attempt}</td>
<td>${formatTime(step.scheduledFor)}</td><td>${formatTime(step.startedAt)}</td>
<td>${step.startedAt && step.completedAt ? formatDuration(step.completedAt.getTime() - step.startedAt.getTime()) : '—'}</td>
<td>${step.errorMessage ? html`<span class="error-text">${step.errorMessage}</span>` : ''}${step.result ? html`<details><summary>output</summary><pre>${formatJson(step.result)}</pre></details>` : ''}</td></tr>`,
  )}</tbody></table></section>
<section aria-labelledby="input-h"><h2 id="input-h">Input and context</h2>
<details open><summary>Signal payload (every step's input)</summary><pre>${formatJson(trigger?.payload ?? {})}</pre></details>
<details><summary>Context (outputs of the steps so far)</summary><pre>${formatJson(run.context)}</pre></details>
<details><summary>Definition snapshot, version ${snapshot.version}</summary><pre>${formatJson(snapshot.steps)}</pre></details>
</section>
<section aria-labelledby="logs-h"><h2 id="logs-h">Logs</h2>
${logs.length === 0
    ? html`<p class="empty">No log lines.</p>`
    : html`<table class="logs"><thead><tr><th scope="col">Time</th><th scope="col">Step</th><th scope="col">Level</th><th scope="col">Message</th></tr></thead>
<tbody>${logs.map(
        (l) => html`<tr class="log-${l.level}"><td>${formatTime(l.createdAt)}</td><td>${l.stepName ?? ''}</td><td>${l.level}</td><td>${l.message}${l.data ? html`<details><summary>data</summary><pre>${formatJson(l.data)}</pre></details>` : ''}</td></tr>`,
      )}</tbody></table>`}
</section>
</div>`
  return layout({ base, title: `Run ${run.id}`, section: 'runs', live: active ? `${base}/live/runs/${encodeURIComponent(run.id)}?v=${version}` : undefined, ...(notice ? { notice } : {}) }, body)
}
