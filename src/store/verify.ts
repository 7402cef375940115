import type { Queryable } from './db.js'
import type { Tables } from './tables.js'

/** One inconsistency between runs and their steps, as found in the tables. */
export interface ConsistencyRow {
  kind: string
  runId: string
  stepRunId?: string
  detail: string
}

/** A parallel step with what the verifier needs to count its branches. */
export interface ParallelRow {
  id: string
  runId: string
  path: number[]
  status: string
  branchesDone: number
  /** How many branches, by the step rows: branch index -> all of that branch's rows finished. */
  branches: { index: number; finished: boolean; rows: number }[]
  snapshotSteps: unknown
}

/**
 * Read-only consistency queries over one engine's tables, for `engine.verify()`. Each query
 * looks for a state that no sequence of the engine's transactions can produce, or that means a
 * run cannot move on by itself.
 */
export class VerifyStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
  ) {}

  async findProblems(options: { graceMs: number; tenantId?: string; limit: number }): Promise<ConsistencyRow[]> {
    const t = this.t
    const { rows } = await this.q.query<{ kind: string; run_id: string; step_run_id: string | null; detail: string }>(
      `WITH runs AS (SELECT * FROM ${t.runs} WHERE ($1::text IS NULL OR tenant_id = $1)),
       unfinished AS (
         SELECT s.* FROM ${t.steps} s JOIN runs r ON r.id = s.run_id WHERE s.status IN ('pending', 'scheduled', 'running')
       )
       SELECT 'active-run-without-step' AS kind, r.id AS run_id, NULL AS step_run_id,
              'run is ' || r.status || ' but has no pending, scheduled or running step, so nothing will move it' AS detail
       FROM runs r
       WHERE r.status IN ('pending', 'running', 'waiting') AND NOT EXISTS (SELECT 1 FROM unfinished u WHERE u.run_id = r.id)
       UNION ALL
       SELECT 'ended-run-with-unfinished-step', r.id, u.id,
              'run is ' || r.status || ' but step "' || u.step_name || '" is still ' || u.status
       FROM runs r JOIN unfinished u ON u.run_id = r.id
       WHERE r.status IN ('completed', 'canceled')
          OR (r.status = 'failed' AND (u.status <> 'running' OR u.locked_until < now() - $2 * interval '1 millisecond'))
       UNION ALL
       SELECT 'expired-lease', r.id, u.id,
              'step "' || u.step_name || '" is running but its lease ran out at ' || u.locked_until::text
       FROM runs r JOIN unfinished u ON u.run_id = r.id
       WHERE r.status IN ('pending', 'running', 'waiting') AND u.status = 'running' AND u.step_type <> 'parallel'
         AND u.locked_until < now() - $2 * interval '1 millisecond'
       UNION ALL
       SELECT 'overdue-step', r.id, u.id,
              'step "' || u.step_name || '" is ' || u.status || ' and was due at ' || coalesce(u.scheduled_for, u.created_at)::text
       FROM runs r JOIN unfinished u ON u.run_id = r.id
       WHERE r.status IN ('pending', 'running', 'waiting') AND u.status IN ('pending', 'scheduled')
         AND coalesce(u.scheduled_for, u.created_at) < now() - $2 * interval '1 millisecond'
       UNION ALL
       SELECT 'snapshot-missing', r.id, NULL, 'run has no usable definition snapshot (steps missing or empty)'
       FROM runs r
       WHERE r.definition_snapshot IS NULL OR jsonb_typeof(r.definition_snapshot -> 'steps') IS DISTINCT FROM 'array'
          OR jsonb_array_length(r.definition_snapshot -> 'steps') = 0
       UNION ALL
       SELECT 'tenant-mismatch', r.id, s.id, 'step belongs to tenant "' || s.tenant_id || '" but its run to "' || r.tenant_id || '"'
       FROM runs r JOIN ${t.steps} s ON s.run_id = r.id
       WHERE s.tenant_id <> r.tenant_id
       UNION ALL
       SELECT 'tenant-mismatch', r.id, NULL, 'run belongs to tenant "' || r.tenant_id || '" but its signal to "' || tr.tenant_id || '"'
       FROM runs r JOIN ${t.triggers} tr ON tr.id = r.trigger_id
       WHERE tr.tenant_id <> r.tenant_id
       UNION ALL
       SELECT 'completed-run-with-failed-step', r.id, s.id, 'run completed but step "' || s.step_name || '" failed'
       FROM runs r JOIN ${t.steps} s ON s.run_id = r.id
       WHERE r.status = 'completed' AND s.status = 'failed'
       UNION ALL
       SELECT 'status-timestamp', r.id, NULL, 'run is ' || r.status || ' but its ' || r.status || '_at time is not set'
       FROM runs r
       WHERE (r.status = 'completed' AND r.completed_at IS NULL) OR (r.status = 'failed' AND r.failed_at IS NULL)
          OR (r.status = 'canceled' AND r.canceled_at IS NULL)
       LIMIT $3`,
      [options.tenantId ?? null, options.graceMs, options.limit],
    )
    return rows.map((r) => ({ kind: r.kind, runId: r.run_id, ...(r.step_run_id ? { stepRunId: r.step_run_id } : {}), detail: r.detail }))
  }

  /** Parallel steps with their branch rows summarised, for the branch-count check. */
  async parallelSteps(options: { tenantId?: string; limit: number }): Promise<ParallelRow[]> {
    const t = this.t
    const { rows } = await this.q.query<{
      id: string
      run_id: string
      step_path: number[]
      status: string
      branches_done: number
      branches: { index: number; finished: boolean; rows: number }[] | null
      snapshot_steps: unknown
    }>(
      `SELECT p.id, p.run_id, p.step_path, p.status, p.branches_done,
              (SELECT jsonb_agg(jsonb_build_object('index', b.branch_index, 'finished', b.finished, 'rows', b.n))
               FROM (SELECT c.branch_index, count(*)::int AS n,
                            bool_and(c.status IN ('completed', 'skipped')) AS finished
                     FROM ${t.steps} c WHERE c.parent_step_run_id = p.id GROUP BY c.branch_index) b) AS branches,
              r.definition_snapshot -> 'steps' AS snapshot_steps
       FROM ${t.steps} p JOIN ${t.runs} r ON r.id = p.run_id
       WHERE p.step_type = 'parallel' AND ($1::text IS NULL OR p.tenant_id = $1)
       ORDER BY p.id
       LIMIT $2`,
      [options.tenantId ?? null, options.limit],
    )
    return rows.map((r) => ({
      id: r.id,
      runId: r.run_id,
      path: r.step_path.map(Number),
      status: r.status,
      branchesDone: Number(r.branches_done),
      branches: r.branches ?? [],
      snapshotSteps: r.snapshot_steps,
    }))
  }
}
