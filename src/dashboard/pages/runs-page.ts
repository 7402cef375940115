import { html, raw } from 'hono/html'
import type { ValidationIssue } from '../../errors.js'
import { COUNT_CAP, type DashboardRunFilter, type RunCursor } from '../../store/index.js'
import type { PageContext } from '../context.js'
import { formatTime } from '../format.js'
import { layout, statusBadge, type Html } from '../layout.js'
import { runsFingerprint, versionOf } from '../live-version.js'
import { cursorParam, filterQuery, STATUSES, type RunFilterFields } from '../run-filter.js'

export const PAGE_SIZE = 50

/**
 * The runs list (and, with `failed`, the failed runs): the filter form, counts per status, a
 * page of runs and the bulk actions, which act on every run the filter matches.
 */
export async function runsPage(
  ctx: PageContext,
  view: { fields: RunFilterFields; filter: DashboardRunFilter; issues: ValidationIssue[]; cursor?: RunCursor; failed: boolean; notice?: string },
): Promise<Html> {
  const { base } = ctx
  const { fields, filter, issues, cursor, failed } = view
  const path = failed ? '/failed' : '/runs'
  const title = failed ? 'Failed runs' : 'Runs'
  const tenants = await ctx.workflows.tenants(ctx.viewer.tenants)
  const form = filterForm(base, path, fields, tenants, failed)
  if (issues.length > 0) {
    return layout(
      { base, title, section: failed ? 'failed' : 'runs' },
      html`${form}<div class="error" role="alert"><p>The filter was not applied:</p><ul>${issues.map((i) => html`<li><code>${i.path.join('.')}</code>: ${i.message}</li>`)}</ul></div>`,
    )
  }
  const [{ runs, more }, counts] = await Promise.all([ctx.runs.page(filter, cursor, PAGE_SIZE), ctx.runs.countByStatus(filter)])
  const capped = Object.values(counts).some((n) => n !== undefined && n >= COUNT_CAP)
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0)
  const last = runs[runs.length - 1]
  const live = `${base}/live${path}${filterQuery(fields, { ...(cursor ? { before: cursorParam(cursor) } : {}), v: versionOf(runsFingerprint(runs)) })}`
  const body = html`${form}
<div id="live-region">
<nav class="counts" aria-label="Runs by status"><ul>
<li><a href="${base}/runs${filterQuery({ ...fields, status: undefined })}">all <strong>${countText(total, capped)}</strong></a></li>
${STATUSES.map((s) => html`<li><a href="${base}/runs${filterQuery({ ...fields, status: s })}" class="count status-${s}">${s} <strong data-count="${s}">${countText(counts[s] ?? 0, (counts[s] ?? 0) >= COUNT_CAP)}</strong></a></li>`)}
</ul></nav>
${runs.length === 0
    ? html`<p class="empty">No runs match this filter.</p>`
    : html`<table class="runs">
<caption>${failed ? 'Failed runs' : 'Runs'}, newest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Tenant</th><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Error</th></tr></thead>
<tbody>${runs.map(
        (r) => html`<tr data-run="${r.id}">
<td><a class="run-link" href="${base}/runs/${encodeURIComponent(r.id)}">${r.id}</a>${r.isReplay ? html` <span class="tag">replay</span>` : ''}</td>
<td>${r.tenantId}</td><td>${r.workflowKey ?? r.workflowName}</td><td>${statusBadge(r.status)}</td><td>${formatTime(r.createdAt)}</td>
<td class="error-text">${r.errorMessage ?? ''}</td></tr>`,
      )}</tbody></table>`}
<nav class="pager" aria-label="Pages">
${cursor ? html`<a href="${base}${path}${filterQuery(fields)}">Newest</a>` : ''}
${more && last ? html`<a rel="next" href="${base}${path}${filterQuery(fields, { before: cursorParam(last) })}">Older runs</a>` : ''}
</nav>
</div>
${bulkForms(base, fields, counts, failed)}`
  return layout({ base, title, section: failed ? 'failed' : 'runs', live, ...(view.notice ? { notice: view.notice } : {}) }, body)
}

/** A count as shown: exact, or "10,000+" when counting stopped at the cap. */
function countText(n: number, capped: boolean): string {
  return capped ? `${n.toLocaleString('en-US')}+` : String(n)
}

function filterForm(base: string, path: string, fields: RunFilterFields, tenants: string[], failed: boolean): Html {
  return html`<form class="filters" method="get" action="${base}${path}" role="search" aria-label="Filter runs">
<label>Tenant <select name="tenant"><option value="">all</option>${tenants.map(
    (t) => html`<option value="${t}"${t === fields.tenant ? raw(' selected') : ''}>${t}</option>`,
  )}</select></label>
${failed
    ? ''
    : html`<label>Status <select name="status"><option value="">any</option>${STATUSES.map(
        (s) => html`<option value="${s}"${s === fields.status ? raw(' selected') : ''}>${s}</option>`,
      )}</select></label>`}
<label>Workflow <input name="workflow" value="${fields.workflow ?? ''}" placeholder="key" size="16"></label>
<label>From <input name="from" type="datetime-local" step="1" value="${fields.from ?? ''}"></label>
<label>To <input name="to" type="datetime-local" step="1" value="${fields.to ?? ''}"></label>
<label>Payload <input name="payload" value="${fields.payload ?? ''}" placeholder="payload.orderId = 42" size="24"></label>
<button type="submit">Filter</button>
</form>`
}

function bulkForms(base: string, fields: RunFilterFields, counts: Partial<Record<string, number>>, failed: boolean): Html {
  const hidden = (extra: RunFilterFields) =>
    Object.entries({ ...fields, ...extra }).map(([k, v]) => (v ? html`<input type="hidden" name="${k}" value="${v}">` : ''))
  const failedCount = counts.failed ?? 0
  const active = (counts.pending ?? 0) + (counts.running ?? 0) + (counts.waiting ?? 0)
  const canRetry = failedCount > 0 && (fields.status === undefined || fields.status === 'failed')
  const canCancel = !failed && active > 0 && (fields.status === undefined || ['pending', 'running', 'waiting'].includes(fields.status))
  if (!canRetry && !canCancel) return html``
  return html`<section class="bulk" aria-label="Bulk actions"><h2>Every run matching this filter</h2>
${canRetry
    ? html`<form method="post" action="${base}/runs/bulk" data-confirm="Retry all ${countText(failedCount, failedCount >= COUNT_CAP)} failed runs matching this filter?">
${hidden({ status: 'failed' })}<input type="hidden" name="action" value="retry"><input type="hidden" name="confirm" value="">
<button type="submit" class="action">Retry all ${countText(failedCount, failedCount >= COUNT_CAP)} failed</button></form>`
    : ''}
${canCancel
    ? html`<form method="post" action="${base}/runs/bulk" data-confirm="Cancel all ${countText(active, active >= COUNT_CAP)} active runs matching this filter?">
${hidden({})}<input type="hidden" name="action" value="cancel"><input type="hidden" name="confirm" value="">
<button type="submit" class="action danger">Cancel all ${countText(active, active >= COUNT_CAP)} active</button></form>`
    : ''}
</section>`
}
