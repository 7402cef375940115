import { html, raw } from 'hono/html'
import { nextCronTime } from '../../definition/cron.js'
import type { WorkflowDefinition } from '../../types.js'
import type { PageContext } from '../context.js'
import { formatJson, formatTime } from '../format.js'
import { layout, type Html } from '../layout.js'
import { stepGraphSvg } from '../step-graph-svg.js'

/** The next `count` ticks of a cron schedule, or a note why there are none. */
export function nextTicks(def: WorkflowDefinition, from: Date, count = 3): Date[] {
  if (!def.cronExpression || !def.isEnabled) return []
  const ticks: Date[] = []
  let at = from
  try {
    for (let i = 0; i < count; i++) {
      at = nextCronTime(def.cronExpression, at, def.cronTimezone)
      ticks.push(at)
    }
  } catch {
    return ticks
  }
  return ticks
}

function cronCell(def: WorkflowDefinition, now: Date): Html {
  if (!def.cronExpression) return html`—`
  const ticks = nextTicks(def, now)
  return html`<code>${def.cronExpression}</code>${def.cronTimezone ? ` (${def.cronTimezone})` : ''}${
    ticks.length > 0 ? html`<br><span class="muted">next: ${ticks.map(formatTime).join(', ')}</span>` : html`<br><span class="muted">paused</span>`
  }`
}

/** The workflows of the tenants the viewer may see: version, enabled, trigger and schedule. */
export async function workflowsPage(ctx: PageContext, tenant: string | undefined): Promise<Html> {
  const { base } = ctx
  const [tenants, defs] = await Promise.all([ctx.workflows.tenants(ctx.viewer.tenants), ctx.workflows.list(ctx.viewer.narrowed(tenant))])
  const now = new Date()
  return layout(
    { base, title: 'Workflows', section: 'workflows' },
    html`<form class="filters" method="get" action="${base}/workflows" role="search" aria-label="Filter workflows">
<label>Tenant <select name="tenant"><option value="">all</option>${tenants.map((t) => html`<option value="${t}"${t === tenant ? raw(' selected') : ''}>${t}</option>`)}</select></label>
<button type="submit">Filter</button></form>
${defs.length === 0
      ? html`<p class="empty">No workflows stored for these tenants; sync some with engine.sync() or pulse sync.</p>`
      : html`<table class="workflows"><caption>Workflows by tenant</caption>
<thead><tr><th scope="col">Workflow</th><th scope="col">Tenant</th><th scope="col">Version</th><th scope="col">Enabled</th><th scope="col">Trigger</th><th scope="col">Cron</th></tr></thead>
<tbody>${defs.map(
          (d) => html`<tr><td><a href="${base}/workflows/${encodeURIComponent(d.id)}">${d.key ?? d.name}</a></td><td>${d.tenantId}</td><td>${d.version}</td>
<td>${d.isEnabled ? 'yes' : 'no'}</td><td>${d.triggerType}</td><td>${cronCell(d, now)}</td></tr>`,
        )}</tbody></table>`}`,
  )
}

/** One workflow: its facts, schedule, the step graph and a link to its runs. */
export function workflowPage(ctx: PageContext, def: WorkflowDefinition): Html {
  const { base } = ctx
  const runs = new URLSearchParams({ tenant: def.tenantId, ...(def.key ? { workflow: def.key } : {}) })
  return layout(
    { base, title: `Workflow ${def.key ?? def.name}`, section: 'workflows' },
    html`<dl class="facts"><dt>Name</dt><dd>${def.name}</dd><dt>Tenant</dt><dd>${def.tenantId}</dd><dt>Version</dt><dd>${def.version} (stored ${formatTime(def.updatedAt)}; runs keep the version they started with)</dd>
<dt>Enabled</dt><dd>${def.isEnabled ? 'yes' : 'no'}</dd><dt>Trigger</dt><dd>${def.triggerType}${def.environmentFilter ? ` in ${def.environmentFilter}` : ''}${def.resourceTypeFilter ? `, resource type ${def.resourceTypeFilter}` : ''}</dd>
<dt>Cron</dt><dd>${cronCell(def, new Date())}</dd>
${def.cancelOn ? html`<dt>Canceled by</dt><dd>${def.cancelOn.map((c) => `${c.signalType} (match ${c.match.join(', ')})`).join('; ')}</dd>` : ''}
</dl>
<p><a href="${base}/runs?${runs.toString()}">Runs of this workflow</a></p>
<section aria-labelledby="graph-h"><h2 id="graph-h">Steps</h2>${stepGraphSvg(def.key ?? def.name, def.steps)}</section>
<section aria-labelledby="config-h"><h2 id="config-h">Config and steps as stored</h2><details><summary>config</summary><pre>${formatJson(def.config)}</pre></details>
<details><summary>steps</summary><pre>${formatJson(def.steps)}</pre></details></section>`,
  )
}
