import { html, raw } from 'hono/html'
import type { TriggerEnvelope } from '../../types.js'
import type { PageContext } from '../context.js'
import { formatJson, formatTime } from '../format.js'
import { layout, statusBadge, type Html } from '../layout.js'

const PAGE_SIZE = 50

/** Stored signals, newest first, with the number of runs each started. */
export async function signalsPage(ctx: PageContext, query: { tenant?: string; type?: string; before?: { createdAt: Date; id: string } }): Promise<Html> {
  const { base } = ctx
  const tenants = await ctx.workflows.tenants(ctx.viewer.tenants)
  const { signals, more } = await ctx.signals.page({ tenants: ctx.viewer.narrowed(query.tenant), ...(query.type ? { type: query.type } : {}) }, query.before, PAGE_SIZE)
  const params = (extra: Record<string, string>) => {
    const p = new URLSearchParams()
    if (query.tenant) p.set('tenant', query.tenant)
    if (query.type) p.set('type', query.type)
    for (const [k, v] of Object.entries(extra)) p.set(k, v)
    const s = p.toString()
    return s ? `?${s}` : ''
  }
  const last = signals[signals.length - 1]
  return layout(
    { base, title: 'Signals', section: 'signals' },
    html`<form class="filters" method="get" action="${base}/signals" role="search" aria-label="Filter signals">
<label>Tenant <select name="tenant"><option value="">all</option>${tenants.map((t) => html`<option value="${t}"${t === query.tenant ? raw(' selected') : ''}>${t}</option>`)}</select></label>
<label>Type <input name="type" value="${query.type ?? ''}" placeholder="order.paid"></label>
<button type="submit">Filter</button></form>
${signals.length === 0
      ? html`<p class="empty">No signals match.</p>`
      : html`<table class="signals"><caption>Signals, newest first</caption>
<thead><tr><th scope="col">Signal</th><th scope="col">Tenant</th><th scope="col">Type</th><th scope="col">Resource</th><th scope="col">Created</th><th scope="col">Runs started</th></tr></thead>
<tbody>${signals.map(
          (s) => html`<tr><td><a href="${base}/signals/${encodeURIComponent(s.id)}">${s.id}</a></td><td>${s.tenantId}</td><td>${s.type}</td>
<td>${s.resourceType ?? ''} ${s.resourceId ?? ''}</td><td>${formatTime(s.createdAt)}</td><td>${s.runsStarted}</td></tr>`,
        )}</tbody></table>`}
<nav class="pager" aria-label="Pages">${more && last ? html`<a rel="next" href="${base}/signals${params({ before: `${last.createdAt.toISOString()}~${last.id}` })}">Older signals</a>` : ''}</nav>`,
  )
}

/** One signal and what it did: the runs it started, the waits it resolved, the runs it canceled, or why it did nothing. */
export async function signalPage(ctx: PageContext, signal: TriggerEnvelope, notice?: string): Promise<Html> {
  const { base } = ctx
  const [runs, outcome] = await Promise.all([ctx.engine.forTenant(signal.tenantId).getRunsByTrigger(signal.id), ctx.signals.outcome(signal)])
  const nothing = runs.length === 0 && outcome.resolvedWaits.length === 0 && outcome.canceledRuns.length === 0
  const why: string[] = []
  if (nothing) {
    if (outcome.listeners.length === 0) why.push(`No workflow of tenant ${signal.tenantId} is triggered by ${signal.type}, and no run waited for it or cancels on it.`)
    for (const d of outcome.listeners) {
      const name = d.key ?? d.name
      if (!d.isEnabled) why.push(`Workflow ${name} is triggered by ${signal.type} but is disabled.`)
      else if (d.environmentFilter && d.environmentFilter !== signal.environment)
        why.push(`Workflow ${name} only reacts in environment ${d.environmentFilter}; this signal has ${signal.environment ?? 'none'}.`)
      else if (d.resourceTypeFilter && d.resourceTypeFilter !== signal.resourceType)
        why.push(`Workflow ${name} only reacts to resource type ${d.resourceTypeFilter}; this signal has ${signal.resourceType ?? 'none'}.`)
      else if (d.createdAt.getTime() > signal.createdAt.getTime()) why.push(`Workflow ${name} was created after this signal was stored; replay the signal to run it.`)
      else why.push(`Workflow ${name} matches this signal now; it may have changed since (replay the signal to run it).`)
    }
  }
  const signalPath = `${base}/signals/${encodeURIComponent(signal.id)}`
  return layout(
    { base, title: `Signal ${signal.id}`, section: 'signals', ...(notice ? { notice } : {}) },
    html`<dl class="facts"><dt>Type</dt><dd>${signal.type}</dd><dt>Tenant</dt><dd>${signal.tenantId}</dd><dt>Source</dt><dd>${signal.source}</dd>
<dt>Resource</dt><dd>${signal.resourceType ?? '—'} ${signal.resourceId ?? ''}</dd><dt>Environment</dt><dd>${signal.environment ?? '—'}</dd><dt>Stored</dt><dd>${formatTime(signal.createdAt)}</dd></dl>
<section aria-labelledby="did-h"><h2 id="did-h">What it did</h2>
<h3>Runs started (${runs.length})</h3>
${runs.length === 0 ? html`<p class="empty">None.</p>` : html`<ul>${runs.map((r) => html`<li><a href="${base}/runs/${encodeURIComponent(r.id)}">${r.id}</a> ${r.definitionSnapshot.key ?? r.definitionSnapshot.name} ${statusBadge(r.status)}${r.isReplay ? ' (replay)' : ''}</li>`)}</ul>`}
<h3>Waits resolved (${outcome.resolvedWaits.length})</h3>
${outcome.resolvedWaits.length === 0 ? html`<p class="empty">None.</p>` : html`<ul>${outcome.resolvedWaits.map((w) => html`<li><a href="${base}/runs/${encodeURIComponent(w.runId)}">${w.runId}</a> step ${w.stepName} at ${formatTime(w.resolvedAt)}</li>`)}</ul>`}
<h3>Runs canceled (${outcome.canceledRuns.length})</h3>
${outcome.canceledRuns.length === 0 ? html`<p class="empty">None.</p>` : html`<ul>${outcome.canceledRuns.map((c) => html`<li><a href="${base}/runs/${encodeURIComponent(c.runId)}">${c.runId}</a> at ${formatTime(c.canceledAt)}</li>`)}</ul>`}
${nothing ? html`<h3>Why nothing happened</h3><ul class="why">${why.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
</section>
<section class="actions" aria-label="Replay this signal">
<form method="post" action="${signalPath}/replay" data-confirm="Replay signal ${signal.id}? It starts new runs of the tenant's current workflows."><input type="hidden" name="confirm" value=""><button type="submit" class="action">Replay</button></form>
<form method="post" action="${signalPath}/replay" data-confirm="Dry-run replay of signal ${signal.id}?"><input type="hidden" name="dryRun" value="true"><input type="hidden" name="confirm" value=""><button type="submit" class="action">Replay (dry run)</button></form>
</section>
<section aria-labelledby="payload-h"><h2 id="payload-h">Payload</h2><pre>${formatJson(signal.payload)}</pre></section>`,
  )
}
