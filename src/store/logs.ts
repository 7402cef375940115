import type { ExecutionLog } from '../types.js'
import type { Queryable } from './db.js'
import { newId } from './ids.js'
import { toLog } from './rows.js'
import type { Tables } from './tables.js'

/** A log line before it is stored: everything but the id and time the store gives it, and the step name read from its step. */
export type NewLog = Omit<ExecutionLog, 'id' | 'createdAt' | 'stepName'>

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
      // The step's name comes from its row: a log line is written many times more often than read.
      `SELECT l.*, s.step_name FROM ${this.t.logs} l LEFT JOIN ${this.t.steps} s ON s.id = l.step_run_id
       WHERE l.run_id = $1 AND ($2::text IS NULL OR l.tenant_id = $2) ORDER BY l.created_at, l.id`,
      [runId, tenantId ?? null],
    )
    return rows.map(toLog)
  }
}
