import { preparedStatement, type Queryable } from './db.js'
import type { Tables } from './tables.js'

/** A scheduled step that has fallen due, with what its queue job is made of. */
export interface DueStep {
  stepRunId: string
  runId: string
  tenantId: string
  fence: number
}

/** What an engine's tables say is left to do at the database's `now()`. */
export interface WorkProbe {
  /** Steps being worked on or waiting for a worker: claimed (holding a lease) or pending. */
  busy: number
  /** Scheduled steps (delays, retry backoffs, wait timeouts, resolved waits) that are due. */
  due: DueStep[]
  /** When the next scheduled step falls due, if any. */
  nextDueAt: Date | null
}

/**
 * Read-only: the steps of active runs that still have work now, and when the next one falls due.
 * A parallel step waiting for its branches has released its lease, so it counts as neither, and
 * a pending step due at infinity (parked until something else lets its run start) is not work now.
 * Times are compared to the millisecond: a virtual clock (virtual-clock.ts) adds a microsecond per
 * transaction after it is set, which must not push a due time past the instant it was set to.
 * The testing kit polls this to know when an engine is idle and what its clock should reach next.
 */
export async function probeWork(q: Queryable, t: Tables): Promise<WorkProbe> {
  const { rows } = await q.query<{ busy: number; due: DueStep[]; next_due_at: Date | string | null }>(preparedStatement(t, 'probeWork', probeSql))
  const row = rows[0]!
  return {
    busy: row.busy,
    due: row.due.map((d) => ({ ...d, fence: Number(d.fence) })),
    nextDueAt: row.next_due_at === null ? null : new Date(row.next_due_at),
  }
}

const probeSql = (t: Tables) =>
  `WITH active AS (
       SELECT s.id, s.run_id, s.tenant_id, s.fence, s.status, s.scheduled_for, s.locked_until
         FROM ${t.steps} s JOIN ${t.runs} r ON r.id = s.run_id
        WHERE s.status IN ('pending', 'running', 'scheduled') AND r.status IN ('pending', 'running', 'waiting')
     )
     SELECT
       (SELECT count(*) FROM active
          WHERE (status = 'pending' AND (scheduled_for IS NULL OR scheduled_for < 'infinity')) OR (status = 'running' AND locked_until IS NOT NULL))::int AS busy,
       (SELECT coalesce(json_agg(json_build_object('stepRunId', id, 'runId', run_id, 'tenantId', tenant_id, 'fence', fence) ORDER BY scheduled_for), '[]'::json)
          FROM active WHERE status = 'scheduled' AND scheduled_for < date_trunc('milliseconds', now()) + interval '1 millisecond') AS due,
       (SELECT date_trunc('milliseconds', min(scheduled_for)) FROM active
          WHERE status = 'scheduled' AND scheduled_for >= date_trunc('milliseconds', now()) + interval '1 millisecond') AS next_due_at`
