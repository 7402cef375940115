import type { JsonObject, WorkflowStatus } from '../types.js'
import type { Queryable } from './db.js'
import type { Tables } from './tables.js'

/** Statuses counted separately on the runs list; literals in SQL, from this fixed set only. */
const STATUSES: readonly WorkflowStatus[] = ['pending', 'running', 'waiting', 'completed', 'failed', 'canceled']

/** Counts per status stop here: past it, the exact number costs a walk of every matching run. */
export const COUNT_CAP = 10_000

/**
 * What the dashboard's runs list filters on. `tenants` is the set the viewer may see (null: all);
 * every other field narrows further.
 */
export interface DashboardRunFilter {
  tenants: readonly string[] | null
  status?: WorkflowStatus
  workflowKey?: string
  createdFrom?: Date
  createdTo?: Date
  /** Runs whose signal's payload contains this object (`{ orderId: 42 }`); served by a GIN index. */
  payload?: JsonObject
}

/** Where a page of runs starts: strictly older than this run. */
export interface RunCursor {
  createdAt: Date
  id: string
}

/** One line of the runs list. */
export interface DashboardRunRow {
  id: string
  tenantId: string
  status: WorkflowStatus
  workflowKey: string | null
  workflowName: string
  triggerId: string
  isReplay: boolean
  errorMessage: string | null
  createdAt: Date
  updatedAt: Date
}

/**
 * The WHERE clause of a runs search, with its parameters. Only the conditions the filter has are
 * written, so each search gets a plan for its own shape (a `$1 IS NULL OR ...` clause would hide
 * the indexes from a generic plan).
 */
function where(t: Tables, filter: DashboardRunFilter, cursor: RunCursor | undefined, withStatus: boolean): { sql: string; values: unknown[] } {
  const values: unknown[] = []
  const param = (value: unknown) => {
    values.push(value)
    return `$${values.length}`
  }
  const conditions: string[] = []
  // One tenant is written as an equality: with `= ANY(array)` the planner cannot walk the
  // (tenant, status, created_at) index in order, and a status with no runs of that tenant then
  // costs a walk of all the tenant's runs.
  const only = filter.tenants?.length === 1 ? filter.tenants[0] : undefined
  const tenants = filter.tenants === null ? undefined : only !== undefined ? param(only) : param(filter.tenants)
  const tenantIs = (column: string) => (only !== undefined ? `${column} = ${tenants}` : `${column} = ANY(${tenants}::text[])`)
  if (tenants) conditions.push(tenantIs('r.tenant_id'))
  if (withStatus && filter.status) conditions.push(`r.status = ${param(filter.status)}`)
  if (filter.workflowKey) {
    conditions.push(
      `r.definition_id IN (SELECT d.id FROM ${t.definitions} d WHERE d.key = ${param(filter.workflowKey)}${tenants ? ` AND ${tenantIs('d.tenant_id')}` : ''})`,
    )
  }
  if (filter.createdFrom) conditions.push(`r.created_at >= ${param(filter.createdFrom)}`)
  if (filter.createdTo) conditions.push(`r.created_at < ${param(filter.createdTo)}`)
  if (filter.payload) {
    conditions.push(
      `r.trigger_id IN (SELECT s.id FROM ${t.triggers} s WHERE s.payload @> ${param(JSON.stringify(filter.payload))}::jsonb${tenants ? ` AND ${tenantIs('s.tenant_id')}` : ''})`,
    )
  }
  if (cursor) conditions.push(`(r.created_at, r.id) < (${param(cursor.createdAt)}, ${param(cursor.id)})`)
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', values }
}

/** Read-only searches over runs for the dashboard. */
export class DashboardRunQueries {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
  ) {}

  /** A page of runs, newest first, and whether more follow. */
  async page(filter: DashboardRunFilter, cursor: RunCursor | undefined, limit: number): Promise<{ runs: DashboardRunRow[]; more: boolean }> {
    const w = where(this.t, filter, cursor, true)
    const { rows } = await this.q.query(
      `SELECT r.id, r.tenant_id, r.status, r.trigger_id, r.is_replay, r.error_message, r.created_at, r.updated_at, d.key, d.name
       FROM ${this.t.runs} r JOIN ${this.t.definitions} d ON d.id = r.definition_id
       ${w.sql}
       ORDER BY r.created_at DESC, r.id DESC
       LIMIT ${Math.trunc(limit) + 1}`,
      w.values,
    )
    const runs = rows.slice(0, limit).map(
      (r): DashboardRunRow => ({
        id: r.id as string,
        tenantId: r.tenant_id as string,
        status: r.status as WorkflowStatus,
        workflowKey: (r.key as string | null) ?? null,
        workflowName: r.name as string,
        triggerId: r.trigger_id as string,
        isReplay: r.is_replay as boolean,
        errorMessage: (r.error_message as string | null) ?? null,
        createdAt: r.created_at as Date,
        updatedAt: r.updated_at as Date,
      }),
    )
    return { runs, more: rows.length > limit }
  }

  /**
   * How many runs of each status the filter (its status left aside) matches, each counted up to
   * `cap`: a count past it reads as `cap` (the page shows "10,000+"). Each status is counted
   * through its own index walk that stops at the cap, so the cost does not grow with the table.
   */
  async countByStatus(filter: DashboardRunFilter, cap = COUNT_CAP): Promise<Partial<Record<WorkflowStatus, number>>> {
    const w = where(this.t, filter, undefined, false)
    const and = w.sql ? `${w.sql} AND` : 'WHERE'
    const columns = STATUSES.map(
      (s) => `(SELECT count(*)::int FROM (SELECT 1 FROM ${this.t.runs} r ${and} r.status = '${s}' LIMIT ${Math.trunc(cap)}) x) AS "${s}"`,
    )
    const { rows } = await this.q.query<Record<WorkflowStatus, number>>(`SELECT ${columns.join(', ')}`, w.values)
    const row = rows[0]
    return row ? Object.fromEntries(STATUSES.filter((s) => row[s] > 0).map((s) => [s, row[s]])) : {}
  }

  /** Ids (with tenants) of the runs a filter matches in one status, a batch at a time, for bulk retry and cancel. */
  async batch(filter: DashboardRunFilter, cursor: RunCursor | undefined, limit: number): Promise<{ id: string; tenantId: string; createdAt: Date }[]> {
    const w = where(this.t, filter, cursor, true)
    const { rows } = await this.q.query<{ id: string; tenant_id: string; created_at: Date }>(
      `SELECT r.id, r.tenant_id, r.created_at FROM ${this.t.runs} r ${w.sql} ORDER BY r.created_at DESC, r.id DESC LIMIT ${Math.trunc(limit)}`,
      w.values,
    )
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, createdAt: r.created_at }))
  }

  /** A short fingerprint of a run's progress (status, steps, log lines): live pages redraw when it changes. */
  async runFingerprint(runId: string, tenants: readonly string[] | null): Promise<string | null> {
    const { rows } = await this.q.query<{ f: string }>(
      `SELECT r.status || ':' || r.updated_at::text || ':' ||
         (SELECT count(*) || ':' || coalesce(max(greatest(s.created_at, s.started_at, s.completed_at))::text, '') FROM ${this.t.steps} s WHERE s.run_id = r.id) || ':' ||
         (SELECT count(*) FROM ${this.t.logs} l WHERE l.run_id = r.id) AS f
       FROM ${this.t.runs} r WHERE r.id = $1 AND ($2::text[] IS NULL OR r.tenant_id = ANY($2::text[]))`,
      [runId, tenants],
    )
    return rows[0]?.f ?? null
  }
}
