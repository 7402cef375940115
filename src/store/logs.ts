import type { ExecutionLog } from '../types.js'
import type { Queryable } from './db.js'
import { newId } from './ids.js'
import { toLog } from './rows.js'
import type { Tables } from './tables.js'

/** A log line before it is stored: everything but the id and time the store gives it. */
export type NewLog = Omit<ExecutionLog, 'id' | 'createdAt'>

/** The execution log that `ctx.log` writes to. */
export class LogStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
  ) {}

  async insert(log: NewLog): Promise<void> {
    await this.q.query(
      `INSERT INTO ${this.t.logs} (id, run_id, step_run_id, tenant_id, level, message, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [newId('log'), log.runId, log.stepRunId ?? null, log.tenantId, log.level, log.message, log.data ?? null],
    )
  }

  async listForRun(runId: string, tenantId?: string): Promise<ExecutionLog[]> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.logs} WHERE run_id = $1 AND ($2::text IS NULL OR tenant_id = $2) ORDER BY created_at, id`,
      [runId, tenantId ?? null],
    )
    return rows.map(toLog)
  }
}
