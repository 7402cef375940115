import type { ValidationIssue } from '../errors.js'
import type { DashboardRunFilter, RunCursor } from '../store/index.js'
import type { JsonObject, WorkflowStatus } from '../types.js'
import { parsePayloadFilter } from './payload-filter.js'
import type { Viewer } from './viewer.js'

export const STATUSES: readonly WorkflowStatus[] = ['pending', 'running', 'waiting', 'completed', 'failed', 'canceled']

/** The runs filter as the query string carries it, kept as typed so forms and links can show it again. */
export interface RunFilterFields {
  tenant?: string
  status?: WorkflowStatus
  workflow?: string
  from?: string
  to?: string
  payload?: string
}

export const FILTER_FIELDS = ['tenant', 'status', 'workflow', 'from', 'to', 'payload'] as const

/** A cursor in a link: `<ISO time>~<run id>`. */
export function cursorParam(cursor: RunCursor): string {
  return `${cursor.createdAt.toISOString()}~${cursor.id}`
}

export function parseCursor(text: string | undefined): RunCursor | undefined {
  if (!text) return undefined
  const at = text.indexOf('~')
  const createdAt = new Date(text.slice(0, at))
  return at > 0 && !Number.isNaN(createdAt.getTime()) ? { createdAt, id: text.slice(at + 1) } : undefined
}

function parseTime(text: string, field: string, issues: ValidationIssue[]): Date | undefined {
  // datetime-local inputs send no zone: read them as UTC, as the pages show every time.
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`
  const date = new Date(withZone)
  if (Number.isNaN(date.getTime())) {
    issues.push({ path: [field], message: `${JSON.stringify(text)} is not a time; use 2026-01-31T12:00 (UTC) or an ISO time` })
    return undefined
  }
  return date
}

/**
 * Reads the filter fields of a runs search from a query string or a form, checked: an unknown
 * status, a bad time or payload search is an issue naming the field, and no search runs.
 */
export function readRunFilter(get: (name: string) => string | undefined, viewer: Viewer): { fields: RunFilterFields; filter: DashboardRunFilter; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = []
  const text = (name: string) => {
    const v = get(name)?.trim()
    return v ? v : undefined
  }
  const fields: RunFilterFields = {}
  const tenant = text('tenant')
  const status = text('status')
  const workflow = text('workflow')
  const from = text('from')
  const to = text('to')
  const payload = text('payload')
  if (tenant) fields.tenant = tenant
  if (status) {
    if ((STATUSES as readonly string[]).includes(status)) fields.status = status as WorkflowStatus
    else issues.push({ path: ['status'], message: `status ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}` })
  }
  if (workflow) fields.workflow = workflow
  if (from) fields.from = from
  if (to) fields.to = to
  if (payload) fields.payload = payload
  const filter: DashboardRunFilter = { tenants: viewer.narrowed(tenant) }
  if (fields.status) filter.status = fields.status
  if (workflow) filter.workflowKey = workflow
  if (from) {
    const date = parseTime(from, 'from', issues)
    if (date) filter.createdFrom = date
  }
  if (to) {
    const date = parseTime(to, 'to', issues)
    if (date) filter.createdTo = date
  }
  if (payload) {
    const parsed = parsePayloadFilter(payload)
    if ('issue' in parsed) issues.push(parsed.issue)
    else filter.payload = parsed.value as JsonObject
  }
  return { fields, filter, issues }
}

/** The query string of a filter (plus extra parameters), for links and live updates. */
export function filterQuery(fields: RunFilterFields, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams()
  for (const name of FILTER_FIELDS) {
    const v = fields[name]
    if (v) params.set(name, v)
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v)
  const s = params.toString()
  return s ? `?${s}` : ''
}
