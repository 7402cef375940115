import type { FlowControl } from '../definition/types.js'
import type { StepStatus, WorkflowStatus } from '../types.js'
import type { Queryable } from './db.js'
import { reviveDates, toStep, type StepRecord } from './rows.js'
import { statusList, statusLiteral } from './status-sql.js'
import type { Tables } from './tables.js'

/** A run waiting for flow control to give it a place, as admission reads it. */
export interface HeldRun {
  id: string
  triggerId: string
  definitionId: string
  workflowKey: string | null
  flow: FlowControl
  concurrencyKey: string | null
  rateKey: string | null
  debounceKey: string | null
  firstStepType: string
  firstStepDelayMs: number
  /** An earlier admission pass kept it held (for a slot): its rate limit and debounce were decided then. */
  checked: boolean
}

/** A run admitted for `at` (the database's clock): its first step and run statuses, as the planner says. */
export interface Admission {
  runId: string
  at: Date
  step: StepStatus
  run: WorkflowStatus
}

/** Why a signal started no run of a workflow it matched. */
export type SkipReason = 'rate_limited' | 'concurrency_skip' | 'debounced'

/** What admission did with one held run. */
export type AdmissionOutcome =
  | { kind: 'admitted'; heldBy?: 'throttle' | 'debounce' }
  | { kind: 'held'; heldBy: 'concurrency' }
  | { kind: 'skipped'; skip: SkippedStart }

/** What a skipped start records. */
export interface SkippedStart {
  triggerId: string
  definitionId: string
  workflowKey: string | null
  reason: SkipReason
  /** For `debounced`: the run the signal was folded into. */
  runId?: string
}

/**
 * Flow control's state, all of it in the runs table: a held run, an admitted run that has not
 * ended (a concurrency slot), the start times throttle and rate limit count, the pending run a
 * debounce window folds signals into. Every method runs inside the transaction that holds the
 * group's lock (see lockGroup), except `heldGroups` and `skippedFor`.
 */
export class FlowStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
    /** Run statuses of runs that have not ended (ACTIVE_RUN_STATUSES). */
    private readonly active: readonly WorkflowStatus[],
    private readonly delayScale = 1,
  ) {}

  /** The transaction lock of one workflow's flow control within a tenant; taken first, by every admission. */
  async lockGroup(tenantId: string, group: string): Promise<Date> {
    const { rows } = await this.q.query(
      `SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2 || chr(31) || $3)), now() AS now`,
      [`pulse-engine:flow:${this.t.schema}.${this.t.prefix}`, tenantId, group],
    )
    return (rows[0] as { now: Date }).now
  }

  /** The group's held runs in the order they get places: higher priority first, then oldest. */
  async heldRuns(tenantId: string, group: string, limit: number): Promise<HeldRun[]> {
    const { rows } = await this.q.query(
      `SELECT id, trigger_id, definition_id, definition_snapshot ->> 'key' AS workflow_key, definition_snapshot -> 'flow' AS flow,
              concurrency_key, rate_key, debounce_key, definition_snapshot -> 'steps' -> 0 ->> 'type' AS first_step_type,
              coalesce((definition_snapshot -> 'steps' -> 0 ->> 'delayMs')::float8, 0) AS first_step_delay_ms, flow_checked
       FROM ${this.t.runs} WHERE tenant_id = $1 AND flow_group = $2 AND held
       ORDER BY priority DESC, created_at, id LIMIT $3`,
      [tenantId, group, limit],
    )
    return rows.map((r) => ({
      id: r.id as string,
      triggerId: r.trigger_id as string,
      definitionId: r.definition_id as string,
      workflowKey: (r.workflow_key as string | null) ?? null,
      flow: r.flow as FlowControl,
      concurrencyKey: r.concurrency_key as string | null,
      rateKey: r.rate_key as string | null,
      debounceKey: r.debounce_key as string | null,
      firstStepType: r.first_step_type as string,
      firstStepDelayMs: (r.first_step_delay_ms as number) * this.delayScale,
      checked: r.flow_checked === true,
    }))
  }

  /** The admitted runs of a concurrency key that have not ended, oldest first: the slots in use. */
  async slotHolders(tenantId: string, concurrencyKey: string): Promise<string[]> {
    const { rows } = await this.q.query(
      `SELECT id FROM ${this.t.runs}
       WHERE tenant_id = $1 AND concurrency_key = $2 AND NOT held AND status IN (${statusList(this.active)})
       ORDER BY created_at, id`,
      [tenantId, concurrencyKey],
    )
    return rows.map((r) => r.id as string)
  }

  /** When the runs of a rate key started (or will), newest first, within `periodMs` of `now`. */
  async startsSince(tenantId: string, rateKey: string, now: Date, periodMs: number): Promise<Date[]> {
    const { rows } = await this.q.query(
      `SELECT admitted_at FROM ${this.t.runs}
       WHERE tenant_id = $1 AND rate_key = $2 AND admitted_at > $3::timestamptz - $4::float8 * interval '1 millisecond'
       ORDER BY admitted_at DESC`,
      [tenantId, rateKey, now, periodMs],
    )
    return rows.map((r) => r.admitted_at as Date)
  }

  /** How many held runs of a rate key passed its rate limit within `periodMs` of `now` and wait for a slot. */
  async reservedStarts(tenantId: string, rateKey: string, now: Date, periodMs: number): Promise<number> {
    const { rows } = await this.q.query(
      `SELECT count(*)::int AS n FROM ${this.t.runs}
       WHERE tenant_id = $1 AND rate_key = $2 AND held AND flow_checked AND created_at > $3::timestamptz - $4::float8 * interval '1 millisecond'`,
      [tenantId, rateKey, now, periodMs],
    )
    return (rows[0] as { n: number }).n
  }

  /** Held runs a pass let through their rate limit and debounce: later passes only look for a slot. */
  async markChecked(runIds: string[]): Promise<void> {
    if (runIds.length === 0) return
    await this.q.query(`UPDATE ${this.t.runs} SET flow_checked = true WHERE id = ANY($1::text[]) AND held AND NOT flow_checked`, [runIds])
  }

  /** The run a debounce key's signals fold into: admitted, not started yet; with when it was created. */
  async openDebounce(tenantId: string, debounceKey: string): Promise<{ runId: string; createdAt: Date } | null> {
    const { rows } = await this.q.query(
      `SELECT r.id, r.created_at FROM ${this.t.runs} r
       WHERE r.tenant_id = $1 AND r.debounce_key = $2 AND NOT r.held AND r.status IN (${statusList(['pending', 'waiting'])})
         AND EXISTS (SELECT 1 FROM ${this.t.steps} s WHERE s.run_id = r.id AND s.step_path = ARRAY[0] AND s.attempt = 0)
       ORDER BY r.created_at DESC LIMIT 1`,
      [tenantId, debounceKey],
    )
    const row = rows[0] as { id: string; created_at: Date } | undefined
    return row ? { runId: row.id, createdAt: row.created_at } : null
  }

  /**
   * Folds a signal into a debounce run: the run takes it as its trigger and its first step moves
   * to `dueAt`. Null when the run started in the meantime (its first step was claimed).
   */
  async fold(runId: string, triggerId: string, dueAt: Date, firstStepDelayMs: number): Promise<StepRecord | null> {
    const { rows } = await this.q.query(
      `WITH r AS (
         UPDATE ${this.t.runs} r SET trigger_id = $2::text, debounced = coalesce(r.debounced, '{}') || $2::text, updated_at = now()
         WHERE r.id = $1 AND r.status IN (${statusList(['pending', 'waiting'])})
           AND EXISTS (SELECT 1 FROM ${this.t.steps} s WHERE s.run_id = r.id AND s.step_path = ARRAY[0] AND s.attempt = 0)
         RETURNING r.id
       )
       -- A new fence gives the step a new job id, so the job for the new due time is not taken
       -- for the one already queued for the old one.
       UPDATE ${this.t.steps} s SET scheduled_for = $3::timestamptz + $4::float8 * interval '1 millisecond', fence = s.fence + 1
       FROM r WHERE s.run_id = r.id AND s.step_path = ARRAY[0] AND s.attempt = 0
       RETURNING s.*`,
      [runId, triggerId, dueAt, firstStepDelayMs],
    )
    return rows[0] ? toStep(reviveDates(rows[0])) : null
  }

  /** Gives held runs their places: the run starts at `at`, its first step is due then (after its delay, for a delay). */
  async admit(admissions: (Admission & { firstStepDelayMs: number; debounceOf?: string })[]): Promise<StepRecord[]> {
    if (admissions.length === 0) return []
    const { rows } = await this.q.query(
      `WITH a AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(run_id text, at timestamptz, step text, run text, delay_ms float8, debounce_of text)
       ),
       r AS (
         UPDATE ${this.t.runs} runs SET held = false, admitted_at = a.at, status = a.run, updated_at = now(),
           debounced = CASE WHEN a.debounce_of IS NOT NULL THEN ARRAY[a.debounce_of] ELSE runs.debounced END,
           started_at = CASE WHEN a.run <> ${statusLiteral('pending')} THEN now() ELSE runs.started_at END
         FROM a WHERE runs.id = a.run_id AND runs.held
         RETURNING runs.id
       )
       UPDATE ${this.t.steps} s SET status = a.step, scheduled_for = a.at + a.delay_ms * interval '1 millisecond'
       FROM a JOIN r ON r.id = a.run_id
       WHERE s.run_id = a.run_id AND s.step_path = ARRAY[0]
       RETURNING s.*`,
      [JSON.stringify(admissions.map((a) => ({ run_id: a.runId, at: a.at, step: a.step, run: a.run, delay_ms: a.firstStepDelayMs, debounce_of: a.debounceOf ?? null })))],
    )
    return rows.map((r) => toStep(reviveDates(r)))
  }

  /** Records why signals started no run, and removes the held runs they had. */
  async skip(runIds: string[], skipped: SkippedStart[], tenantId: string): Promise<void> {
    if (skipped.length === 0) return
    await this.q.query(
      `WITH gone_steps AS (DELETE FROM ${this.t.steps} WHERE run_id = ANY($1::text[]) RETURNING run_id),
       gone AS (DELETE FROM ${this.t.runs} WHERE id = ANY($1::text[]) AND held AND id IN (SELECT run_id FROM gone_steps) RETURNING id)
       INSERT INTO ${this.t.skippedStarts} (trigger_id, tenant_id, definition_id, workflow_key, reason, run_id)
       SELECT x.trigger_id, $2, x.definition_id, x.workflow_key, x.reason, x.run_id
       FROM jsonb_to_recordset($3::jsonb) AS x(trigger_id text, definition_id text, workflow_key text, reason text, run_id text)`,
      [runIds, tenantId, JSON.stringify(skipped.map((s) => ({ trigger_id: s.triggerId, definition_id: s.definitionId, workflow_key: s.workflowKey, reason: s.reason, run_id: s.runId ?? null })))],
    )
  }

  /** Groups with runs held longer than `graceMs`: the reconciler admits what it can of them. */
  async heldGroups(graceMs: number, limit: number): Promise<{ tenantId: string; group: string }[]> {
    const { rows } = await this.q.query(
      `SELECT DISTINCT tenant_id, flow_group FROM ${this.t.runs}
       WHERE held AND created_at < now() - $1::float8 * interval '1 millisecond' LIMIT $2`,
      [graceMs, limit],
    )
    return rows.map((r) => ({ tenantId: r.tenant_id as string, group: r.flow_group as string }))
  }

  /**
   * What became of runs that another engine's admission pass decided (it took the group's lock
   * first): still held, admitted for later (throttle, debounce), admitted now, or gone (skipped).
   */
  async outcomesOf(runIds: string[]): Promise<Map<string, AdmissionOutcome>> {
    const { rows } = await this.q.query(
      `SELECT id, held, admitted_at > now() AS later, debounce_key IS NOT NULL AS debounced FROM ${this.t.runs} WHERE id = ANY($1::text[])`,
      [runIds],
    )
    const outcomes = new Map<string, AdmissionOutcome>()
    for (const r of rows as { id: string; held: boolean; later: boolean | null; debounced: boolean }[]) {
      if (r.held) outcomes.set(r.id, { kind: 'held', heldBy: 'concurrency' })
      else if (r.later) outcomes.set(r.id, { kind: 'admitted', heldBy: r.debounced ? 'debounce' : 'throttle' })
      else outcomes.set(r.id, { kind: 'admitted' })
    }
    return outcomes
  }

  /** The workflows a signal matched but started no run of, and why. */
  async skippedFor(triggerId: string): Promise<SkippedStart[]> {
    const { rows } = await this.q.query(
      `SELECT trigger_id, definition_id, workflow_key, reason, run_id FROM ${this.t.skippedStarts} WHERE trigger_id = $1 ORDER BY created_at, definition_id`,
      [triggerId],
    )
    return rows.map((r) => ({
      triggerId: r.trigger_id as string,
      definitionId: r.definition_id as string,
      workflowKey: (r.workflow_key as string | null) ?? null,
      reason: r.reason as SkipReason,
      ...(r.run_id ? { runId: r.run_id as string } : {}),
    }))
  }
}
