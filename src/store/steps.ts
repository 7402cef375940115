import type { JsonObject, StepType, TriggerEnvelope } from '../types.js'
import { preparedStatement, type Queryable } from './db.js'
import { newId } from './ids.js'
import type { StatusMoves, StepSetMove } from './plan.js'
import { reviveDates, toRun, toStep, toTrigger, type RunRecord, type StepRecord } from './rows.js'
import { statusList, statusLiteral } from './status-sql.js'
import type { Tables } from './tables.js'

export interface NewStep {
  runId: string
  tenantId: string
  path: number[]
  stepType: StepType
  stepName: string
  parentStepRunId?: string
  status: 'pending' | 'scheduled' | 'skipped'
  /** Milliseconds from now until a scheduled (delay) step is due, as defined: insert() applies the delay scale. */
  dueInMs?: number
  result?: JsonObject
  errorMessage?: string
}

/** One step of a group-committed transition; see StepStore.finishAndContinueMany. */
export interface ContinueRequest {
  step: StepRecord
  /** The run as the caller last saw it; the statement returns only what it changes. */
  run: RunRecord
  result?: JsonObject
  output?: { name: string; data: JsonObject }
  next?: NewStep & { stepType: 'action' | 'condition' }
  completeRun: boolean
  leaseMs: number
}

export interface ContinueResult {
  done: StepRecord | null
  run: RunRecord | null
  next: StepRecord | null
}

export interface Claim {
  step: StepRecord
  run: RunRecord
  trigger: TriggerEnvelope
}

export type ClaimMiss = { reason: 'not-due'; dueInMs: number; fence: number } | { reason: 'gone' }

/**
 * Locks run rows in id order, one primary-key lookup per id. Not `WHERE id = ANY($n)`: the
 * statements using this run as prepared statements, whose generic plan is made once, and made
 * while the table is still small that is a sequential scan, kept as the table grows.
 *
 * The LIMIT never cuts anything (it is the number of ids); it is there for the cost estimate.
 * Postgres keeps re-planning a prepared statement on every call while its generic plan looks
 * dearer than the plans made for the actual values, and without a known array length it
 * guesses ten lookups here against the one of a typical call. A LIMIT it cannot evaluate makes
 * it guess a tenth of that, so the generic plan wins and planning is skipped.
 */
function lockRuns(runs: string, ids: string, columns: string): string {
  return `SELECT l.* FROM (SELECT DISTINCT id FROM unnest(${ids}::text[]) AS u(id) ORDER BY id LIMIT cardinality(${ids}::text[])) k
         CROSS JOIN LATERAL (SELECT ${columns} FROM ${runs} WHERE id = k.id FOR UPDATE) l`
}

/** Step rows: claims, fenced completions and the bookkeeping of parallel branches. */
export class StepStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
    /** See EngineConfig.delayScale: how much of a delay step's duration it waits. */
    private readonly delayScale = 1,
    /** The engine whose claims these are (its row in `workers`); none for an engine that never claims. */
    private readonly workerId: string | null,
    /** The status changes this store makes outside a plan, as run-state.ts decides them (STATUS_MOVES). */
    private readonly moves: StatusMoves,
  ) {}

  /**
   * Claims steps for execution, several in one statement (group commit for claims): a
   * compare-and-set from the statuses of `moves.claim` (pending/scheduled, or running when the
   * previous holder's lease ran out) that bumps the attempt and the fence. Run rows are locked first, in id order, so a claim
   * and a cancel of the same run never interleave. Returns, per request, the claim or null; of
   * several requests for one step, at most the first gets it.
   */
  async claimMany(requests: { stepId: string; runId: string }[], leaseMs: number): Promise<(Claim | null)[]> {
    const t = this.t
    const claim = this.moves.claim
    const { rows } = await this.q.query(
      // Keyed by the moves too: the text embeds them, and the same tables may serve other moves.
      preparedStatement(
        t,
        `claimMany ${JSON.stringify(claim)}`,
        (t) => `WITH req AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(step_id text, run_id text)
       ),
       locked AS (${lockRuns(t.runs, '$3', '*')}),
       r AS (SELECT * FROM locked WHERE status IN (${statusList(claim.runIn)})),
       s AS (
         UPDATE ${t.steps} st SET status = ${statusLiteral(claim.step.to)}, attempt = st.attempt + 1, fence = st.fence + 1,
           started_at = now(), completed_at = NULL, locked_until = now() + $2 * interval '1 millisecond', claimed_by = $5::text
         FROM req
         WHERE st.id = ANY($4::text[]) AND st.id = req.step_id AND st.run_id = req.run_id AND req.run_id IN (SELECT id FROM r)
           AND (st.status IN (${statusList(claim.step.from)}) OR (st.status = ${statusLiteral(claim.step.to)} AND st.locked_until < now()))
           AND (st.scheduled_for IS NULL OR st.scheduled_for <= now() + interval '25 milliseconds')
         RETURNING st.*
       ),
       ru AS (
         UPDATE ${t.runs} SET status = ${statusLiteral(claim.run.to)}, started_at = coalesce(started_at, now()), updated_at = now()
         WHERE id = ANY($3::text[]) AND id IN (SELECT run_id FROM s) AND status IN (${statusList(claim.run.from)})
         RETURNING *
       )
       SELECT s.id AS step_id, to_jsonb(s.*) AS step,
              coalesce((SELECT to_jsonb(ru.*) FROM ru WHERE ru.id = s.run_id), (SELECT to_jsonb(r.*) FROM r WHERE r.id = s.run_id)) AS run,
              to_jsonb(tr.*) AS trigger
       FROM s JOIN r ON r.id = s.run_id JOIN ${t.triggers} tr ON tr.id = r.trigger_id`,
      ),
      [
        JSON.stringify(requests.map((r) => ({ step_id: r.stepId, run_id: r.runId }))),
        leaseMs,
        requests.map((r) => r.runId),
        requests.map((r) => r.stepId),
        this.workerId,
      ],
    )
    const byStep = new Map(
      (rows as { step_id: string; step: Record<string, unknown>; run: Record<string, unknown>; trigger: Record<string, unknown> }[]).map((row) => [
        row.step_id,
        { step: toStep(reviveDates(row.step)), run: toRun(reviveDates(row.run)), trigger: toTrigger(reviveDates(row.trigger)) },
      ]),
    )
    // Two deliveries of one step in the same batch update its row once: only the first gets the claim.
    return requests.map((r) => {
      const claim = byStep.get(r.stepId) ?? null
      byStep.delete(r.stepId)
      return claim
    })
  }

  /**
   * How many steps no worker has started yet: due now, and scheduled for later. Counted on the
   * partial index of unstarted steps, so the cost follows the backlog, not the table.
   */
  async countWaiting(): Promise<{ due: number; scheduled: number }> {
    const { rows } = await this.q.query<{ due: number; scheduled: number }>(
      `SELECT count(*) FILTER (WHERE scheduled_for IS NULL OR scheduled_for <= now())::int AS due,
              count(*) FILTER (WHERE scheduled_for > now())::int AS scheduled
       FROM ${this.t.steps} WHERE status IN ('pending', 'scheduled')`,
    )
    return { due: rows[0]?.due ?? 0, scheduled: rows[0]?.scheduled ?? 0 }
  }

  /** Why a step could not be claimed: not due yet (and when), or nothing left to do. */
  async whyNotClaimed(stepId: string): Promise<ClaimMiss> {
    const t = this.t
    const { rows: left } = await this.q.query<{ due_in_ms: number | null; fence: string }>(
      `SELECT greatest(0, extract(epoch FROM (s.scheduled_for - now())) * 1000)::float8 AS due_in_ms, s.fence
       FROM ${t.steps} s JOIN ${t.runs} r ON r.id = s.run_id
       WHERE s.id = $1 AND s.status IN ('pending', 'scheduled') AND r.status IN ('pending', 'running', 'waiting')
         AND s.scheduled_for > now() + interval '25 milliseconds'`,
      [stepId],
    )
    const miss = left[0]
    if (!miss || miss.due_in_ms === null) return { reason: 'gone' }
    return { reason: 'not-due', dueInMs: Math.ceil(miss.due_in_ms), fence: Number(miss.fence) }
  }

  /**
   * Ends the current attempt of a claimed step. Fenced: it only applies while the step is still
   * running under the same claim, so a worker whose step was reclaimed changes nothing.
   */
  async finish(
    stepId: string,
    fence: number,
    outcome: { status: 'completed' | 'failed' | 'skipped'; result?: JsonObject; errorMessage?: string },
  ): Promise<StepRecord | null> {
    const { rows } = await this.q.query(
      `UPDATE ${this.t.steps} SET status = $3, result = $4, error_message = $5, completed_at = now(), locked_until = NULL
       WHERE id = $1 AND fence = $2 AND status = 'running'
       RETURNING *`,
      [stepId, fence, outcome.status, outcome.result ?? null, outcome.errorMessage ?? null],
    )
    return rows[0] ? toStep(rows[0]) : null
  }

  /**
   * The common transition, for many steps in one statement (group commit): finish each claimed
   * step (fenced), add its output to its run's context, and either claim the next step for the
   * same worker (an action or condition in the same list) or complete the run (after its last
   * top-level step). Run rows are locked first, in id order, as every transition locks its run
   * before its steps. At most one request per run may be passed (the caller batches accordingly).
   * A request whose fence or run status no longer holds comes back with nulls; the caller then
   * takes the general path for it.
   */
  async finishAndContinueMany(requests: ContinueRequest[]): Promise<ContinueResult[]> {
    const t = this.t
    const payload = requests.map((r) => ({
      run_id: r.step.runId,
      step_id: r.step.id,
      fence: r.step.fence,
      result: r.result ?? null,
      out_name: r.output?.name ?? null,
      out_data: r.output?.data ?? null,
      complete_run: r.completeRun,
      in_branch: r.step.parentStepRunId !== undefined,
      next_id: r.next ? newId('stp') : null,
      next_index: r.next ? r.next.path[r.next.path.length - 1] : null,
      next_path: r.next ? `{${r.next.path.join(',')}}` : null,
      next_type: r.next?.stepType ?? null,
      next_name: r.next?.stepName ?? null,
      branch_index: r.next && r.next.path.length > 1 ? r.next.path[r.next.path.length - 2] : null,
      parent_id: r.next?.parentStepRunId ?? null,
      top_index: r.next && r.next.path.length === 1 ? r.next.path[0] : null,
    }))
    const { rows } = await this.q.query(
      preparedStatement(
        t,
        'finishAndContinueMany',
        (t) => `WITH req AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(run_id text, step_id text, fence bigint, result jsonb,
           out_name text, out_data jsonb, complete_run boolean, in_branch boolean, next_id text, next_index int, next_path int[],
           next_type text, next_name text, branch_index int, parent_id text, top_index int)
       ),
       locked AS (${lockRuns(t.runs, '$3', 'id, status')}),
       r AS (SELECT id FROM locked WHERE status = 'running'),
       done AS (
         UPDATE ${t.steps} s SET status = 'completed', result = req.result, completed_at = now(), locked_until = NULL
         FROM req
         WHERE s.id = ANY($4::text[]) AND s.id = req.step_id AND s.fence = req.fence AND s.status = 'running'
           AND req.run_id IN (SELECT id FROM r)
         RETURNING s.id, s.tenant_id, s.completed_at
       ),
       nx AS (
         INSERT INTO ${t.steps} (id, run_id, tenant_id, step_index, step_path, step_type, step_name, status,
           attempt, fence, started_at, locked_until, branch_index, parent_step_run_id, claimed_by)
         SELECT req.next_id, req.run_id, d.tenant_id, req.next_index, req.next_path, req.next_type, req.next_name,
           'running', 1, 1, now(), now() + $2 * interval '1 millisecond', req.branch_index, req.parent_id, $5::text
         FROM req JOIN done d ON d.id = req.step_id
         WHERE req.next_id IS NOT NULL
         ON CONFLICT (run_id, step_path) DO NOTHING
         RETURNING id, created_at, locked_until
       ),
       ru AS (
         UPDATE ${t.runs} runs SET
           context = CASE WHEN req.out_name IS NULL THEN runs.context ELSE runs.context || jsonb_build_object(req.out_name, req.out_data) END,
           current_step_index = coalesce(req.top_index, runs.current_step_index),
           status = CASE WHEN req.complete_run THEN 'completed' ELSE runs.status END,
           completed_at = CASE WHEN req.complete_run THEN now() ELSE runs.completed_at END,
           updated_at = now()
         FROM req JOIN done d ON d.id = req.step_id
         WHERE runs.id = ANY($3::text[]) AND runs.id = req.run_id
         RETURNING runs.id, runs.context, runs.status, runs.current_step_index, runs.completed_at, runs.updated_at
       )
       SELECT req.step_id, done.completed_at AS done_at,
              CASE WHEN req.in_branch THEN ru.context END AS context,
              ru.status, ru.current_step_index, ru.completed_at AS run_completed_at, ru.updated_at,
              nx.created_at AS next_at, nx.locked_until AS next_locked_until
       FROM req
       LEFT JOIN done ON done.id = req.step_id
       LEFT JOIN ru ON ru.id = req.run_id
       LEFT JOIN nx ON nx.id = req.next_id`,
      ),
      // The ids also travel as arrays: `id = ANY($n)` makes the planner look rows up by primary key
      // (a join on the recordset gets a generic plan that scans whole tables).
      [JSON.stringify(payload), requests[0]?.leaseMs ?? 30_000, requests.map((r) => r.step.runId), requests.map((r) => r.step.id), this.workerId],
    )
    type Row = {
      step_id: string
      done_at: Date | null
      context: JsonObject | null
      status: RunRecord['status'] | null
      current_step_index: number | null
      run_completed_at: Date | null
      updated_at: Date | null
      next_at: Date | null
      next_locked_until: Date | null
    }
    const byStep = new Map((rows as Row[]).map((row) => [row.step_id, row] as const))
    // Only what the statement changed and this process cannot know comes back: the run's
    // definition snapshot, its context and the new step row do not travel back on every step.
    return requests.map((r, i) => {
      const row = byStep.get(r.step.id)
      if (!row?.done_at || !row.status) return { done: null, run: null, next: null }
      const done: StepRecord = { ...r.step, status: 'completed', result: r.result, completedAt: row.done_at, lockedUntil: undefined }
      const run: RunRecord = {
        ...r.run,
        // The run is locked while its context changes, and outside parallel branches only this
        // chain writes to it, so the merge can be done here; branches read what their siblings wrote.
        context: row.context ?? (r.output ? { ...r.run.context, [r.output.name]: r.output.data } : r.run.context),
        status: row.status,
        currentStepIndex: row.current_step_index ?? r.run.currentStepIndex,
        completedAt: row.run_completed_at ?? undefined,
        updatedAt: row.updated_at ?? r.run.updatedAt,
      }
      const nextId = payload[i]!.next_id
      const next: StepRecord | null =
        r.next && nextId && row.next_at
          ? {
              id: nextId,
              runId: r.step.runId,
              tenantId: r.step.tenantId,
              stepIndex: r.next.path[r.next.path.length - 1]!,
              path: r.next.path,
              stepType: r.next.stepType,
              stepName: r.next.stepName,
              status: 'running',
              attempt: 1,
              fence: 1,
              lockedUntil: row.next_locked_until ?? undefined,
              branchesDone: 0,
              startedAt: row.next_at,
              branchIndex: r.next.path.length > 1 ? r.next.path[r.next.path.length - 2] : undefined,
              parentStepRunId: r.next.parentStepRunId,
              createdAt: row.next_at,
            }
          : null
      return { done, run, next }
    })
  }

  /** Puts a failed attempt back in line for another one after `backoffMs` (fenced like finish). */
  /**
   * A reached wait step waits for its signal (fenced): due at `dueAt`, its timeout, or at once
   * (null) when the signal is already there. It holds no lease meanwhile.
   */
  async scheduleWait(stepId: string, fence: number, dueAt: Date | null): Promise<StepRecord | null> {
    const { rows } = await this.q.query(
      `UPDATE ${this.t.steps} SET status = 'scheduled', locked_until = NULL, scheduled_for = coalesce($3::timestamptz, now())
       WHERE id = $1 AND fence = $2 AND status = 'running'
       RETURNING *`,
      [stepId, fence, dueAt],
    )
    return rows[0] ? toStep(rows[0]) : null
  }

  async scheduleRetry(stepId: string, fence: number, backoffMs: number, errorMessage: string): Promise<StepRecord | null> {
    const { rows } = await this.q.query(
      `UPDATE ${this.t.steps} SET status = 'scheduled', error_message = $4, locked_until = NULL,
         scheduled_for = now() + $3 * interval '1 millisecond'
       WHERE id = $1 AND fence = $2 AND status = 'running'
       RETURNING *`,
      [stepId, fence, backoffMs, errorMessage],
    )
    return rows[0] ? toStep(rows[0]) : null
  }

  /**
   * Extends the leases of running steps, many in one statement. Returns, per step still on
   * record, whether this worker still holds it (its fence has not moved) and its run's status.
   */
  async heartbeatMany(steps: { stepId: string; fence: number }[], leaseMs: number): Promise<Map<string, { held: boolean; runStatus: string }>> {
    const t = this.t
    const { rows } = await this.q.query<{ id: string; held: boolean; run_status: string }>(
      `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(step_id text, fence bigint)),
       beat AS (
         UPDATE ${t.steps} s SET locked_until = now() + $2 * interval '1 millisecond'
         FROM x
         WHERE s.id = ANY($3::text[]) AND s.id = x.step_id AND s.fence = x.fence AND s.status = 'running'
         RETURNING s.id
       )
       SELECT s.id, s.id IN (SELECT id FROM beat) AS held, r.status AS run_status
       FROM ${t.steps} s JOIN ${t.runs} r ON r.id = s.run_id
       WHERE s.id = ANY($3::text[])`,
      [JSON.stringify(steps.map((s) => ({ step_id: s.stepId, fence: s.fence }))), leaseMs, steps.map((s) => s.stepId)],
    )
    return new Map(rows.map((row) => [row.id, { held: row.held, runStatus: row.run_status }]))
  }

  /**
   * Hands a claimed step back without counting the attempt, for a process that is shutting down;
   * moving the fence makes the abandoned handler's late result count for nothing.
   */
  async releaseMany(steps: { stepId: string; fence: number }[]): Promise<StepRecord[]> {
    const move = this.moves.handBack
    const { rows } = await this.q.query(
      `UPDATE ${this.t.steps} s SET status = ${statusLiteral(move.to)}, fence = s.fence + 1, attempt = greatest(s.attempt - 1, 0), locked_until = NULL
       FROM jsonb_to_recordset($1::jsonb) AS x(step_id text, fence bigint)
       WHERE s.id = x.step_id AND s.fence = x.fence AND s.status IN (${statusList(move.from)})
       RETURNING s.*`,
      [JSON.stringify(steps.map((s) => ({ step_id: s.stepId, fence: s.fence })))],
    )
    return rows.map(toStep)
  }

  /** A parallel step holds no worker while its branches run, so it must never look like an expired lease. */
  async releaseLease(stepId: string, fence: number): Promise<void> {
    await this.q.query(`UPDATE ${this.t.steps} SET locked_until = NULL WHERE id = $1 AND fence = $2`, [stepId, fence])
  }

  /** Creates step rows; a row that already exists at the same position is left alone (idempotent). */
  async insert(steps: NewStep[]): Promise<StepRecord[]> {
    if (steps.length === 0) return []
    const { rows } = await this.q.query(
      `INSERT INTO ${this.t.steps} (id, run_id, tenant_id, step_index, step_path, step_type, step_name, status,
         scheduled_for, result, error_message, branch_index, parent_step_run_id, completed_at)
       SELECT x.id, x.run_id, x.tenant_id, x.step_index, x.step_path, x.step_type, x.step_name, x.status,
         CASE WHEN x.due_in_ms IS NULL THEN NULL ELSE now() + x.due_in_ms * interval '1 millisecond' END,
         x.result, x.error_message, x.branch_index, x.parent_step_run_id,
         CASE WHEN x.status = 'skipped' THEN now() END
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, run_id text, tenant_id text, step_index int, step_path int[],
         step_type text, step_name text, status text, due_in_ms float8, result jsonb, error_message text,
         branch_index int, parent_step_run_id text)
       ON CONFLICT (run_id, step_path) DO NOTHING
       RETURNING *`,
      [
        JSON.stringify(
          steps.map((s) => ({
            id: newId('stp'),
            run_id: s.runId,
            tenant_id: s.tenantId,
            step_index: s.path[s.path.length - 1],
            step_path: `{${s.path.join(',')}}`,
            step_type: s.stepType,
            step_name: s.stepName,
            status: s.status,
            // Only delay steps are created with a due time; shortened here, where it becomes one.
            due_in_ms: s.dueInMs === undefined ? null : s.dueInMs * this.delayScale,
            result: s.result ?? null,
            error_message: s.errorMessage ?? null,
            branch_index: s.path.length > 1 ? s.path[s.path.length - 2] : null,
            parent_step_run_id: s.parentStepRunId ?? null,
          })),
        ),
      ],
    )
    return rows.map(toStep)
  }

  /**
   * Counts one more finished branch of a parallel step and returns the updated row. It counts even
   * while the parallel step is failed, so that after a retry the count still adds up.
   */
  async branchDone(parallelStepId: string): Promise<StepRecord | null> {
    const { rows } = await this.q.query(
      `UPDATE ${this.t.steps} SET branches_done = branches_done + 1 WHERE id = $1 RETURNING *`,
      [parallelStepId],
    )
    return rows[0] ? toStep(rows[0]) : null
  }

  /** Completes or fails a parallel step whose branches have settled. */
  async settleParallel(stepId: string, status: 'completed' | 'failed', errorMessage?: string): Promise<StepRecord | null> {
    const { rows } = await this.q.query(
      `UPDATE ${this.t.steps} SET status = $2, error_message = $3, completed_at = now(), locked_until = NULL
       WHERE id = $1 AND status = 'running'
       RETURNING *`,
      [stepId, status, errorMessage ?? null],
    )
    return rows[0] ? toStep(rows[0]) : null
  }

  async get(stepId: string): Promise<StepRecord | null> {
    const { rows } = await this.q.query(`SELECT * FROM ${this.t.steps} WHERE id = $1`, [stepId])
    return rows[0] ? toStep(rows[0]) : null
  }

  async listForRun(runId: string, tenantId?: string): Promise<StepRecord[]> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.steps} WHERE run_id = $1 AND ($2::text IS NULL OR tenant_id = $2) ORDER BY created_at, step_path`,
      [runId, tenantId ?? null],
    )
    return rows.map(toStep)
  }

  /**
   * Ends every step of a run that has not finished, as `moves.cancel` (a cancel: running steps
   * too, their fence moved so a late write from their worker is ignored) or `moves.runFailure`
   * (the run failed: steps not yet started stop, marked so a retry resumes them) say.
   */
  async skipUnfinished(runId: string, errorMessage: string, why: 'cancel' | 'run-failure'): Promise<StepRecord[]> {
    const move = why === 'cancel' ? this.moves.cancel : this.moves.runFailure.stop
    const message = why === 'cancel' ? errorMessage : `${this.moves.runFailure.stoppedPrefix}${errorMessage}`
    const { rows } = await this.q.query(
      `UPDATE ${this.t.steps} SET status = ${statusLiteral(move.to)}, error_message = $2, completed_at = now(), locked_until = NULL,
         fence = ${fenceFor(move)}
       WHERE run_id = $1 AND status IN (${statusList(move.from)})
       RETURNING *`,
      [runId, message],
    )
    return rows.map(toStep)
  }

  /** Fails the parallel steps that contain a failed branch (they are still running), as `moves.runFailure` says. */
  async failParallelAncestors(ids: string[], errorMessage: string): Promise<void> {
    if (ids.length === 0) return
    const move = this.moves.runFailure.ancestors
    await this.q.query(
      `UPDATE ${this.t.steps} SET status = ${statusLiteral(move.to)}, error_message = $2, completed_at = now(), locked_until = NULL
       WHERE id = ANY($1::text[]) AND status IN (${statusList(move.from)})`,
      [ids, errorMessage],
    )
  }

  /**
   * Puts a failed run's steps back in line, as `moves.retry` says: failed actions and conditions
   * start over with fresh attempts, failed parallel steps run again, and steps stopped by the
   * failure resume.
   */
  async resetForRetry(runId: string): Promise<StepRecord[]> {
    const move = this.moves.retry
    // Step types are a fixed enum (the definition schema), so they go in as literals like the statuses.
    const byType = Object.entries(move.to)
      .map(([type, to]) => {
        if (!/^[a-z_]+$/.test(type)) throw new Error(`"${type}" is not a step type`)
        const status = to === 'scheduled' ? `CASE WHEN scheduled_for IS NULL THEN ${statusLiteral(move.inLine)} ELSE ${statusLiteral(to)} END` : statusLiteral(to)
        return `WHEN '${type}' THEN ${status}`
      })
      .join(' ')
    const { rows } = await this.q.query(
      `UPDATE ${this.t.steps} SET
         status = CASE step_type ${byType} ELSE ${statusLiteral(move.inLine)} END,
         attempt = CASE WHEN status IN (${statusList(move.freshAttemptsFrom)}) THEN 0 ELSE attempt END,
         error_message = NULL, completed_at = NULL, locked_until = NULL,
         scheduled_for = CASE WHEN step_type = 'delay' THEN scheduled_for END
       WHERE run_id = $1 AND (status IN (${statusList(move.from)}) OR (status IN (${statusList(move.stopped)}) AND error_message LIKE $2))
       RETURNING *`,
      [runId, `${likeEscape(move.stoppedPrefix)}%`],
    )
    return rows.map(toStep)
  }

  /**
   * A failed run keeps the branch steps that were running when it failed; if their worker died,
   * nothing would ever finish them. Once their lease has run out they are marked stopped, so the
   * run is settled and a retry resumes them.
   */
  async stopAbandoned(): Promise<number> {
    const move = this.moves.abandonedStop
    const { rowCount } = await this.q.query(
      `UPDATE ${this.t.steps} s SET status = ${statusLiteral(move.to)}, fence = s.fence + 1, locked_until = NULL, completed_at = now(),
         error_message = $1
       FROM ${this.t.runs} r
       WHERE r.id = s.run_id AND r.status IN (${statusList(move.runIn)}) AND s.status IN (${statusList(move.from)}) AND s.locked_until < now()`,
      [move.errorMessage],
    )
    return rowCount ?? 0
  }

  /**
   * Steps that should be making progress but may have no queue job: due and unclaimed, or claimed
   * by a worker whose lease ran out. The reconciler enqueues a job for each.
   */
  async listStranded(graceMs: number, limit: number): Promise<StepRecord[]> {
    const { rows } = await this.q.query(
      `SELECT s.* FROM ${this.t.steps} s JOIN ${this.t.runs} r ON r.id = s.run_id
       WHERE r.status IN ('pending', 'running', 'waiting')
         AND ((s.status IN ('pending', 'scheduled') AND coalesce(s.scheduled_for, s.created_at) < now() - $1 * interval '1 millisecond')
           OR (s.status = 'running' AND s.locked_until < now()))
       ORDER BY coalesce(s.scheduled_for, s.created_at)
       LIMIT $2`,
      [graceMs, limit],
    )
    return rows.map(toStep)
  }
}

/** The fence column after a set move: moved for the steps a worker holds, unchanged for the rest. */
function fenceFor(move: StepSetMove): string {
  return move.fenceFor.length === 0 ? 'fence' : `CASE WHEN status IN (${statusList(move.fenceFor)}) THEN fence + 1 ELSE fence END`
}

/** A literal prefix for LIKE: its wildcards match only themselves. */
function likeEscape(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`)
}
