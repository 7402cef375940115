import type { TriggerEnvelope, WorkflowDefinition } from '../types.js'
import type { Queryable } from './db.js'
import { toDefinition, toTrigger } from './rows.js'
import type { Tables } from './tables.js'

/** A stored signal with the number of runs it started. */
export interface DashboardSignalRow extends TriggerEnvelope {
  runsStarted: number
}

/** What one signal did besides starting runs, and the workflows that could have reacted to it. */
export interface SignalOutcome {
  resolvedWaits: { runId: string; stepName: string; resolvedAt: Date | null }[]
  canceledRuns: { runId: string; canceledAt: Date | null }[]
  /** The tenant's definitions triggered by the signal's type, enabled or not. */
  listeners: WorkflowDefinition[]
}

/** Read-only searches over signals, their waits and the definitions they match, for the dashboard. */
export class DashboardSignalQueries {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
  ) {}

  /** Signals, newest first, of the given tenants (null: all), optionally of one type. */
  async page(
    filter: { tenants: readonly string[] | null; type?: string },
    cursor: { createdAt: Date; id: string } | undefined,
    limit: number,
  ): Promise<{ signals: DashboardSignalRow[]; more: boolean }> {
    const { rows } = await this.q.query(
      `SELECT s.*, (SELECT count(*)::int FROM ${this.t.runs} r WHERE r.trigger_id = s.id) AS runs_started
       FROM ${this.t.triggers} s
       WHERE ($1::text[] IS NULL OR s.tenant_id = ANY($1::text[]))
         AND ($2::text IS NULL OR s.type = $2)
         AND ($3::timestamptz IS NULL OR (s.created_at, s.id) < ($3::timestamptz, $4::text))
       ORDER BY s.created_at DESC, s.id DESC
       LIMIT ${Math.trunc(limit) + 1}`,
      [filter.tenants, filter.type ?? null, cursor?.createdAt ?? null, cursor?.id ?? null],
    )
    const signals = rows.slice(0, limit).map((r) => ({ ...toTrigger(r), runsStarted: r.runs_started as number }))
    return { signals, more: rows.length > limit }
  }

  /** The waits a signal resolved, the runs its arrival canceled (cancelOn), and who listens to its type in its tenant. */
  async outcome(signal: TriggerEnvelope): Promise<SignalOutcome> {
    const [waits, canceled, listeners] = await Promise.all([
      this.q.query(
        `SELECT run_id, step_name, resolved_at FROM ${this.t.waits} WHERE signal_id = $1 AND tenant_id = $2 ORDER BY resolved_at, run_id`,
        [signal.id, signal.tenantId],
      ),
      // The reason deliverSignal writes names the signal; canceled runs of the tenant are indexed.
      this.q.query(
        `SELECT id, canceled_at FROM ${this.t.runs} WHERE tenant_id = $1 AND status = 'canceled' AND cancel_reason = $2 ORDER BY canceled_at, id`,
        [signal.tenantId, `signal ${signal.type} ${signal.id} arrived (cancelOn)`],
      ),
      this.q.query(`SELECT * FROM ${this.t.definitions} WHERE tenant_id = $1 AND trigger_type = $2 ORDER BY coalesce(key, name), id`, [
        signal.tenantId,
        signal.type,
      ]),
    ])
    return {
      resolvedWaits: waits.rows.map((r) => ({ runId: r.run_id as string, stepName: r.step_name as string, resolvedAt: (r.resolved_at as Date | null) ?? null })),
      canceledRuns: canceled.rows.map((r) => ({ runId: r.id as string, canceledAt: (r.canceled_at as Date | null) ?? null })),
      listeners: listeners.rows.map(toDefinition),
    }
  }
}
