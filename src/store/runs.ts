import type { JsonObject, WorkflowStatus } from '../types.js'
import type { Queryable } from './db.js'
import { toRun, type RunRecord } from './rows.js'
import type { Tables } from './tables.js'

export interface RunListFilter {
  tenantId?: string
  status?: WorkflowStatus
  definitionId?: string
  workflowKey?: string
  limit?: number
}

/**
 * Workflow runs. Every status change here is a guarded UPDATE on the current status, with the
 * guard and the new status given by the caller's plan (see src/runtime/run-state.ts).
 */
export class RunStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
  ) {}

  async get(id: string, tenantId?: string): Promise<RunRecord | null> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.runs} WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)`,
      [id, tenantId ?? null],
    )
    return rows[0] ? toRun(rows[0]) : null
  }

  /** Reads a run and locks it until the transaction ends, serialising every transition of one run. */
  async lock(id: string, tenantId?: string): Promise<RunRecord | null> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.runs} WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2) FOR UPDATE`,
      [id, tenantId ?? null],
    )
    return rows[0] ? toRun(rows[0]) : null
  }

  async listByTrigger(triggerId: string, tenantId?: string): Promise<RunRecord[]> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.runs} WHERE trigger_id = $1 AND ($2::text IS NULL OR tenant_id = $2) ORDER BY created_at, id`,
      [triggerId, tenantId ?? null],
    )
    return rows.map(toRun)
  }

  async list(filter: RunListFilter): Promise<RunRecord[]> {
    const { rows } = await this.q.query(
      `SELECT r.* FROM ${this.t.runs} r
       WHERE ($1::text IS NULL OR r.tenant_id = $1)
         AND ($2::text IS NULL OR r.status = $2)
         AND ($3::text IS NULL OR r.definition_id = $3)
         AND ($4::text IS NULL OR r.definition_snapshot ->> 'key' = $4)
       ORDER BY r.created_at DESC, r.id DESC
       LIMIT $5`,
      [filter.tenantId ?? null, filter.status ?? null, filter.definitionId ?? null, filter.workflowKey ?? null, filter.limit ?? 100],
    )
    return rows.map(toRun)
  }

  /**
   * Moves a run to `to` if its status is one of `from`; returns the updated run, or null when the
   * guard did not hold (someone else moved it first).
   */
  async transition(
    id: string,
    from: readonly WorkflowStatus[],
    to: WorkflowStatus,
    details: { errorMessage?: string | null; cancelReason?: string } = {},
  ): Promise<RunRecord | null> {
    const { rows } = await this.q.query(
      `UPDATE ${this.t.runs} SET
         status = $3,
         started_at = CASE WHEN $3 IN ('running', 'waiting') THEN coalesce(started_at, now()) ELSE started_at END,
         completed_at = CASE WHEN $3 = 'completed' THEN now() ELSE completed_at END,
         failed_at = CASE WHEN $3 = 'failed' THEN now() WHEN $3 = 'running' THEN NULL ELSE failed_at END,
         canceled_at = CASE WHEN $3 = 'canceled' THEN now() ELSE canceled_at END,
         cancel_reason = CASE WHEN $3 = 'canceled' THEN $5 ELSE cancel_reason END,
         error_message = CASE WHEN $4::boolean THEN $6 ELSE error_message END,
         updated_at = now()
       WHERE id = $1 AND status = ANY($2::text[])
       RETURNING *`,
      [id, from, to, details.errorMessage !== undefined, details.cancelReason ?? null, details.errorMessage ?? null],
    )
    return rows[0] ? toRun(rows[0]) : null
  }

  /** Records where a run is in its top-level steps, and whether it now waits on a delay, while its status is one of `from`. */
  async setPosition(id: string, stepIndex: number, status: 'running' | 'waiting', from: readonly WorkflowStatus[]): Promise<void> {
    await this.q.query(
      `UPDATE ${this.t.runs} SET current_step_index = $2, status = $3, updated_at = now()
       WHERE id = $1 AND status = ANY($4::text[])`,
      [id, stepIndex, status, from],
    )
  }

  /** Adds one action's output to the run context under the step's name. */
  async mergeContext(id: string, entries: JsonObject): Promise<JsonObject> {
    const { rows } = await this.q.query<{ context: JsonObject }>(
      `UPDATE ${this.t.runs} SET context = context || $2::jsonb, updated_at = now() WHERE id = $1 RETURNING context`,
      [id, JSON.stringify(entries)],
    )
    return rows[0]?.context ?? {}
  }
}
