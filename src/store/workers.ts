import type { WorkflowStatus } from '../types.js'
import type { Queryable } from './db.js'
import type { StatusMoves } from './plan.js'
import { reviveDates, toStep, type StepRecord } from './rows.js'
import { statusList } from './status-sql.js'
import type { Tables } from './tables.js'

/** Who a worker is, as its liveness row says (for operators reading the `workers` table). */
export interface WorkerIdentity {
  id: string
  host: string
  pid: number
  /** The engine's workerTimeoutMs, recorded for operators. */
  timeoutMs: number
  /**
   * How long after this beat the row expires if no other beat follows: the other engines honour
   * this engine's own value. A beat interval less than timeoutMs, so that an engine checking once
   * per interval finds the row expired no later than timeoutMs after the last beat.
   */
  expiresInMs: number
}

/** A worker found dead by a beat, and the claims it held that were handed on. */
export interface DeadWorker {
  id: string
  host: string
  pid: number
  /** When it last beat, by the database's clock. */
  seenAt: Date
}

export interface BeatResult {
  /** False when this worker had no row: its first beat, or it was declared dead while it was silent. */
  known: boolean
  dead: DeadWorker[]
  /** The released steps, each with its run's status (only steps of active runs need a job). */
  released: { step: StepRecord; runStatus: WorkflowStatus }[]
}

/** Liveness rows of started engines (the `workers` table) and the takeover of dead ones' claims. */
export class WorkerStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
    /** Which steps count as claimed (`moves.takeover`), as run-state.ts decides. */
    private readonly moves: StatusMoves,
  ) {}

  /**
   * One heartbeat, one statement: refreshes this worker's row and, in the same statement, deletes
   * the rows of workers silent past their own timeout and voids their claims. A voided claim is
   * treated as a lease that ran out: its fence moves (so the dead worker, should it only have been
   * frozen, changes nothing when it comes back) and its lease ends now (so a claim, the
   * reconciler and `verify()` see an ordinary expired lease). Two engines beating at once cannot
   * both release one worker: the DELETE makes the second wait for the first and then find no row.
   *
   * An engine whose own row had run out before this beat (it, or more likely the database, was
   * unreachable for a while) judges nobody for one timeout: after an outage that silenced every
   * engine, the first to reconnect would otherwise take over the steps of all the others, whose
   * handlers are still running, before they have had a chance to beat again.
   *
   * With no dead worker (the usual beat) the EXISTS is false once and the steps table is not read.
   * Only running steps with a lease are touched: a parallel step waiting on its branches holds
   * no worker (its lease is cleared), and the steps of other workers are left alone.
   */
  async beat(me: WorkerIdentity): Promise<BeatResult> {
    const t = this.t
    const claimed = statusList(this.moves.takeover.claimed)
    const { rows } = await this.q.query<{ kind: 'me' | 'dead' | 'step'; row: Record<string, unknown>; run_status: WorkflowStatus | null }>(
      `WITH me AS (
         INSERT INTO ${t.workers} AS w (id, host, pid, timeout_ms, expires_at)
         VALUES ($1, $2, $3::int, $4::int, now() + $5::int * interval '1 millisecond')
         ON CONFLICT (id) DO UPDATE SET seen_at = now(), expires_at = excluded.expires_at, timeout_ms = excluded.timeout_ms,
           judges_from = CASE WHEN w.expires_at < now() THEN now() + excluded.timeout_ms * interval '1 millisecond' ELSE w.judges_from END
         RETURNING (xmax = 0) AS inserted, w.judges_from <= now() AS judges
       ),
       dead AS (
         DELETE FROM ${t.workers} w WHERE (SELECT judges FROM me) AND w.expires_at < now() AND w.id <> $1
         RETURNING w.id, w.host, w.pid, w.seen_at
       ),
       released AS (
         UPDATE ${t.steps} s SET fence = s.fence + 1, locked_until = now() - interval '1 millisecond'
         WHERE EXISTS (SELECT 1 FROM dead)
           AND s.status IN (${claimed}) AND s.locked_until >= now() AND s.claimed_by IN (SELECT id FROM dead)
         RETURNING s.*
       )
       SELECT 'me' AS kind, jsonb_build_object('inserted', me.inserted) AS row, NULL AS run_status FROM me
       UNION ALL SELECT 'dead', to_jsonb(dead.*), NULL FROM dead
       UNION ALL SELECT 'step', to_jsonb(released.*), r.status FROM released JOIN ${t.runs} r ON r.id = released.run_id`,
      [me.id, me.host, me.pid, me.timeoutMs, me.expiresInMs],
    )
    const result: BeatResult = { known: true, dead: [], released: [] }
    for (const { kind, row, run_status } of rows) {
      if (kind === 'me') result.known = row.inserted !== true
      else if (kind === 'dead') result.dead.push({ id: row.id as string, host: row.host as string, pid: row.pid as number, seenAt: new Date(row.seen_at as string) })
      else result.released.push({ step: toStep(reviveDates(row)), runStatus: run_status! })
    }
    return result
  }

  /** A clean stop: the row goes, so nobody waits for this worker or mistakes it for a dead one. */
  async remove(id: string): Promise<void> {
    await this.q.query(`DELETE FROM ${this.t.workers} WHERE id = $1`, [id])
  }

  /** The live rows, for tests and operators. */
  async list(): Promise<(Omit<WorkerIdentity, 'expiresInMs'> & { seenAt: Date; expiresAt: Date })[]> {
    const { rows } = await this.q.query<{ id: string; host: string; pid: number; timeout_ms: number; seen_at: Date; expires_at: Date }>(
      `SELECT id, host, pid, timeout_ms, seen_at, expires_at FROM ${this.t.workers} ORDER BY started_at, id`,
    )
    return rows.map((r) => ({ id: r.id, host: r.host, pid: r.pid, timeoutMs: r.timeout_ms, seenAt: r.seen_at, expiresAt: r.expires_at }))
  }
}
