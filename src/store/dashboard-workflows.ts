import type { WorkflowDefinition } from '../types.js'
import type { Queryable } from './db.js'
import { toDefinition } from './rows.js'
import type { Tables } from './tables.js'
import type { WaitRecord } from './waits.js'

/** Read-only lookups of definitions and waits under a set of tenants, for the dashboard. */
export class DashboardWorkflowQueries {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
  ) {}

  /** Definitions of the given tenants (null: all), by tenant then key. */
  async list(tenants: readonly string[] | null, tenant?: string): Promise<WorkflowDefinition[]> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.definitions}
       WHERE ($1::text[] IS NULL OR tenant_id = ANY($1::text[])) AND ($2::text IS NULL OR tenant_id = $2)
       ORDER BY tenant_id, coalesce(key, name), id`,
      [tenants, tenant ?? null],
    )
    return rows.map(toDefinition)
  }

  /** One definition, when it belongs to one of the tenants (null: any). */
  async get(id: string, tenants: readonly string[] | null): Promise<WorkflowDefinition | null> {
    const { rows } = await this.q.query(`SELECT * FROM ${this.t.definitions} WHERE id = $1 AND ($2::text[] IS NULL OR tenant_id = ANY($2::text[]))`, [
      id,
      tenants,
    ])
    return rows[0] ? toDefinition(rows[0]) : null
  }

  /** The tenants that have any definition: the choices of the tenant filter. */
  async tenants(tenants: readonly string[] | null): Promise<string[]> {
    const { rows } = await this.q.query<{ tenant_id: string }>(
      `SELECT DISTINCT tenant_id FROM ${this.t.definitions} WHERE ($1::text[] IS NULL OR tenant_id = ANY($1::text[])) ORDER BY tenant_id LIMIT 500`,
      [tenants],
    )
    return rows.map((r) => r.tenant_id)
  }

  /** The waits of one run of a tenant, as the run's page and its "why not moving" read them. */
  async waitsOfRun(runId: string, tenantId: string): Promise<Pick<WaitRecord, 'stepRunId' | 'signalTypes' | 'match' | 'status' | 'signalId' | 'createdAt' | 'timeoutAt' | 'resolvedAt'>[]> {
    const { rows } = await this.q.query(
      `SELECT step_run_id, signal_types, match, status, signal_id, created_at, timeout_at, resolved_at FROM ${this.t.waits}
       WHERE run_id = $1 AND tenant_id = $2 ORDER BY created_at, step_run_id`,
      [runId, tenantId],
    )
    return rows.map((r) => ({
      stepRunId: r.step_run_id as string,
      signalTypes: r.signal_types as string[],
      match: r.match as Record<string, unknown>,
      status: r.status as WaitRecord['status'],
      signalId: (r.signal_id as string | null) ?? null,
      createdAt: r.created_at as Date,
      timeoutAt: r.timeout_at as Date,
      resolvedAt: (r.resolved_at as Date | null) ?? null,
    }))
  }
}
