import type { JsonObject, TriggerEnvelope } from '../types.js'
import { preparedStatement, type Queryable } from './db.js'
import { reviveDates, toRun, toStep, toTrigger, type RunRecord, type StepRecord } from './rows.js'
import type { Tables } from './tables.js'

/**
 * A wait step being reached: the signal types it waits for, and per match path the value the
 * run's trigger has there (null where it has none).
 */
export interface WaitRegistration {
  stepName: string
  signalTypes: string[]
  match: Record<string, unknown>
  timeoutMs: number
}

/** `canceled`: its run was canceled or failed while it waited. */
export type WaitStatus = 'open' | 'received' | 'timed_out' | 'canceled'

export interface WaitRecord {
  stepRunId: string
  runId: string
  tenantId: string
  stepName: string
  signalTypes: string[]
  match: JsonObject
  status: WaitStatus
  signalId: string | null
  createdAt: Date
  timeoutAt: Date
  resolvedAt: Date | null
}

/** What delivering one signal did, before the runs it cancels are canceled. */
export interface Delivery {
  signal: TriggerEnvelope | null
  /** Waits the signal resolved, and their steps, now due (absent when the run moved on meanwhile). */
  resolved: { wait: WaitRecord; step: StepRecord | null }[]
  /** Active runs the signal cancels (their cancel-on matched), with the signal that cancels each. */
  cancel: { run: RunRecord; signal: TriggerEnvelope }[]
}

/**
 * The value a signal has at a match path, as jsonb (JSON null where it has none). `m` is the
 * path, `s` a row of the triggers table.
 */
function valueAt(m: string, s: string): string {
  return `coalesce(CASE ${m} WHEN 'resourceId' THEN to_jsonb(${s}.resource_id) WHEN 'resourceType' THEN to_jsonb(${s}.resource_type)
    WHEN 'environment' THEN to_jsonb(${s}.environment) ELSE ${s}.payload #> string_to_array(substr(${m}, 9), '.') END, 'null'::jsonb)`
}

/**
 * The transaction lock of one (tenant, signal type), the one lock registration and delivery
 * share; `namespace` is a parameter holding lockNamespace(tables).
 */
function typeLock(namespace: string, tenant: string, type: string): string {
  return `pg_advisory_xact_lock(hashtext(${namespace}), hashtext(${tenant} || ':' || ${type}))`
}

const lockNamespace = (t: Tables) => `pulse-engine:signal:${t.schema}.${t.prefix}`

/** True when signal row `s` has, at every path of the jsonb object `expected`, the value there. */
function matches(expected: string, s: string): string {
  return `NOT EXISTS (SELECT 1 FROM jsonb_each(${expected}) AS e WHERE e.value IS DISTINCT FROM ${valueAt('e.key', s)})`
}

/**
 * Wait steps and cancel-on: registering waits, delivering signals to them, and finding the runs a
 * signal cancels.
 *
 * One rule keeps a signal from slipping between a wait being registered and the signal being
 * stored: both sides take a transaction lock on (tenant, signal type) before they look at the
 * other side. A signal is stored (and committed) before its delivery takes the lock; a wait is
 * registered and committed while holding it. Whichever of the two takes the lock second sees
 * what the first committed, so at least one of them finds the pair (both finding it is harmless:
 * resolving is guarded on the wait still being open).
 */
export class WaitStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
    /** See EngineConfig.delayScale: wait timeouts are shortened like delays. */
    private readonly delayScale = 1,
  ) {}

  /** Takes the (tenant, signal type) locks for the rest of the transaction, in a fixed order. */
  async lockTypes(tenantId: string, signalTypes: readonly string[]): Promise<void> {
    await this.q.query(
      `SELECT ${typeLock('$1', '$2', 'x.type')}
       FROM (SELECT DISTINCT unnest($3::text[]) AS type ORDER BY 1) x`,
      [lockNamespace(this.t), tenantId, [...signalTypes]],
    )
  }

  /**
   * Registers a reached wait step, inside the transaction that moves the step (the caller holds
   * the run's lock). A matching signal stored since the run was created, and not consumed by an
   * earlier wait of the run, resolves it at once. Registering the same step again (a second
   * delivery of its job) keeps the first registration. Returns the wait as it stands.
   */
  async register(step: StepRecord, run: RunRecord, wait: WaitRegistration): Promise<WaitRecord> {
    await this.lockTypes(run.tenantId, wait.signalTypes)
    const t = this.t
    const { rows } = await this.q.query(
      // The run's creation time as stored: a JavaScript Date would round it to the millisecond.
      preparedStatement(
        t,
        'registerWait',
        () => `WITH r AS (SELECT created_at FROM ${t.runs} WHERE id = $2),
       found AS (
         SELECT s.id FROM ${t.triggers} s
         WHERE s.tenant_id = $3 AND s.type = ANY($5::text[]) AND s.created_at > (SELECT created_at FROM r) AND s.id <> $7
           AND ${matches('$6::jsonb', 's')}
           AND NOT EXISTS (SELECT 1 FROM ${t.waits} c WHERE c.run_id = $2 AND c.signal_id = s.id)
         ORDER BY s.created_at, s.id
         LIMIT 1
       )
       INSERT INTO ${t.waits} (step_run_id, run_id, tenant_id, step_name, signal_types, match, status, signal_id,
                               run_trigger_id, run_created_at, timeout_at, resolved_at)
       SELECT $1, $2, $3, $4, $5::text[], $6::jsonb, CASE WHEN f.id IS NULL THEN 'open' ELSE 'received' END, f.id,
              $7, (SELECT created_at FROM r), now() + $8 * interval '1 millisecond', CASE WHEN f.id IS NULL THEN NULL ELSE now() END
       FROM (SELECT 1) AS one LEFT JOIN found f ON true
       ON CONFLICT (step_run_id) DO NOTHING
       RETURNING *`,
      ),
      [step.id, run.id, run.tenantId, wait.stepName, wait.signalTypes, JSON.stringify(wait.match), run.triggerId, wait.timeoutMs * this.delayScale],
    )
    if (rows[0]) return toWait(rows[0])
    // Registered before: read it under its row lock, so a delivery that is resolving it now has
    // either finished (we see it received) or will find the step scheduled afterwards.
    const existing = await this.q.query(`SELECT * FROM ${t.waits} WHERE step_run_id = $1 FOR UPDATE`, [step.id])
    return toWait(existing.rows[0]!)
  }

  async get(stepRunId: string): Promise<{ wait: WaitRecord; signal: TriggerEnvelope | null } | null> {
    const { rows } = await this.q.query(
      `SELECT to_jsonb(w.*) AS wait, to_jsonb(s.*) AS signal FROM ${this.t.waits} w LEFT JOIN ${this.t.triggers} s ON s.id = w.signal_id
       WHERE w.step_run_id = $1`,
      [stepRunId],
    )
    const row = rows[0] as { wait: Record<string, unknown>; signal: Record<string, unknown> | null } | undefined
    return row ? { wait: toWait(reviveDates(row.wait)), signal: row.signal ? toTrigger(reviveDates(row.signal)) : null } : null
  }

  /** The waits of one run, in the order they were reached (for its timeline). */
  async listForRun(runId: string): Promise<WaitRecord[]> {
    const { rows } = await this.q.query(`SELECT * FROM ${this.t.waits} WHERE run_id = $1 ORDER BY created_at, step_run_id`, [runId])
    return rows.map(toWait)
  }

  /**
   * Ends an open wait whose timeout has passed (by the database's clock). Returns the wait as it
   * stands: timed out, or received when a signal came first, or still open when not yet due.
   */
  async timeOut(stepRunId: string): Promise<WaitRecord | null> {
    const { rows } = await this.q.query(
      `UPDATE ${this.t.waits} SET status = 'timed_out', resolved_at = now()
       WHERE step_run_id = $1 AND status = 'open' AND timeout_at <= now() + interval '25 milliseconds'
       RETURNING *`,
      [stepRunId],
    )
    if (rows[0]) return toWait(rows[0])
    const again = await this.get(stepRunId)
    return again?.wait ?? null
  }

  /** Closes the open waits of a run that was canceled or failed, so no signal is spent on them. */
  async closeForRun(runId: string): Promise<void> {
    await this.q.query(`UPDATE ${this.t.waits} SET status = 'canceled', resolved_at = now() WHERE run_id = $1 AND status = 'open'`, [runId])
  }

  /** Forgets the waits of steps that go back in line (a retried run), so they are registered anew. */
  async forget(stepRunIds: string[]): Promise<void> {
    if (stepRunIds.length === 0) return
    await this.q.query(`DELETE FROM ${this.t.waits} WHERE step_run_id = ANY($1::text[]) AND status <> 'received'`, [stepRunIds])
  }

  /**
   * Delivers a stored signal, in the caller's transaction: resolves the first open wait of each
   * run that the signal matches (their steps fall due now, under a new fence, so a new job
   * delivers them) and finds the active runs it cancels. Runs started by the signal itself are
   * checked the other way round: the signals stored since they were created that cancel them.
   */
  async deliver(signalId: string): Promise<Delivery> {
    const t = this.t
    // The signal, and the (tenant, type) locks its delivery needs, taken in the same statement:
    // its own type, and the cancel-on types of the runs it started.
    const head = await this.q.query(
      preparedStatement(
        t,
        'deliverLock',
        () => `WITH s AS (SELECT * FROM ${t.triggers} WHERE id = $1),
       types AS (
         SELECT s.type FROM s
         UNION SELECT c ->> 'signalType' FROM s JOIN ${t.runs} r ON r.trigger_id = s.id, jsonb_array_elements(r.definition_snapshot -> 'cancelOn') c
         WHERE jsonb_typeof(r.definition_snapshot -> 'cancelOn') = 'array'
       ),
       locked AS (
         SELECT count(${typeLock('$2', 's.tenant_id', 'x.type')}) AS n
         FROM s, (SELECT type FROM types ORDER BY 1) x
       )
       SELECT s.* FROM s, locked`,
      ),
      [signalId, lockNamespace(t)],
    )
    const row = head.rows[0] as Record<string, unknown> | undefined
    if (!row) return { signal: null, resolved: [], cancel: [] }
    const signal = toTrigger(row)
    const { rows } = await this.q.query(
      preparedStatement(
        t,
        'deliver',
        () => `WITH s AS (SELECT * FROM ${t.triggers} WHERE id = $1),
       -- The match object an open wait must hold to take this signal, once per way of matching.
       expected AS (
         SELECT DISTINCT (SELECT coalesce(jsonb_object_agg(p, ${valueAt('p', 's')}), '{}'::jsonb) FROM unnest(l.match_paths) AS p) AS match
         FROM ${t.listeners} l, s WHERE l.tenant_id = s.tenant_id AND l.signal_type = s.type AND NOT l.cancels
       ),
       -- Locked in one order before one wait per run is chosen: a wait that a timeout or a
       -- signal of another type closed meanwhile drops out here (the lock re-reads it), so the
       -- run's next open wait gets the signal instead, and two deliveries never lock crosswise.
       open_waits AS (
         SELECT w.step_run_id, w.run_id, w.created_at
         FROM expected e
         JOIN ${t.waits} w ON md5(w.tenant_id || ':' || w.match::text) = md5((SELECT tenant_id FROM s) || ':' || e.match::text)
           AND w.match = e.match AND w.status = 'open'
         JOIN ${t.runs} r ON r.id = w.run_id AND r.status IN ('pending', 'running', 'waiting'), s
         WHERE w.tenant_id = s.tenant_id AND s.type = ANY(w.signal_types)
           AND s.created_at > w.run_created_at AND s.created_at < w.timeout_at AND s.id <> w.run_trigger_id
           AND NOT EXISTS (SELECT 1 FROM ${t.waits} c WHERE c.run_id = w.run_id AND c.signal_id = s.id)
         ORDER BY w.step_run_id
         FOR UPDATE OF w
       ),
       cand AS (
         SELECT DISTINCT ON (run_id) step_run_id FROM open_waits ORDER BY run_id, created_at, step_run_id
       ),
       res AS (
         UPDATE ${t.waits} w SET status = 'received', signal_id = $1, resolved_at = now()
         FROM cand WHERE w.step_run_id = cand.step_run_id AND w.status = 'open'
         RETURNING w.*
       ),
       due AS (
         UPDATE ${t.steps} st SET scheduled_for = now(), fence = st.fence + 1
         FROM res WHERE st.id = res.step_run_id AND st.status = 'scheduled'
         RETURNING st.*
       ),
       canceled AS (
         SELECT r.*, s.id AS by_signal FROM ${t.runs} r JOIN ${t.triggers} rt ON rt.id = r.trigger_id, s
         -- Read only when some definition of the tenant ever canceled on this type; the runs'
         -- snapshots, not the definitions as they are now, say what cancels them.
         WHERE EXISTS (SELECT 1 FROM ${t.listeners} l WHERE l.tenant_id = s.tenant_id AND l.signal_type = s.type AND l.cancels)
           AND r.tenant_id = s.tenant_id AND r.status IN ('pending', 'running', 'waiting')
           AND r.created_at < s.created_at AND r.trigger_id <> s.id
           AND jsonb_typeof(r.definition_snapshot -> 'cancelOn') = 'array'
           AND EXISTS (
             SELECT 1 FROM jsonb_array_elements(r.definition_snapshot -> 'cancelOn') c
             WHERE c ->> 'signalType' = s.type
               AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(c -> 'match') k WHERE ${valueAt('k', 'rt')} IS DISTINCT FROM ${valueAt('k', 's')})
           )
       ),
       newly AS (
         SELECT DISTINCT ON (r.id) r.*, later.id AS by_signal FROM ${t.runs} r JOIN ${t.triggers} rt ON rt.id = r.trigger_id
         CROSS JOIN LATERAL jsonb_array_elements(r.definition_snapshot -> 'cancelOn') c
         JOIN ${t.triggers} later ON later.tenant_id = r.tenant_id AND later.type = c ->> 'signalType'
           AND later.created_at > r.created_at AND later.id <> r.trigger_id
         WHERE r.trigger_id = $1 AND r.status IN ('pending', 'running', 'waiting')
           AND jsonb_typeof(r.definition_snapshot -> 'cancelOn') = 'array'
           AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(c -> 'match') k WHERE ${valueAt('k', 'rt')} IS DISTINCT FROM ${valueAt('k', 'later')})
         ORDER BY r.id, later.created_at, later.id
       ),
       -- With no run to cancel the delivery is done when this commits; otherwise once they are canceled.
       done AS (
         DELETE FROM ${t.deliveries} WHERE trigger_id = $1 AND NOT EXISTS (SELECT 1 FROM canceled) AND NOT EXISTS (SELECT 1 FROM newly)
       )
       SELECT 'wait' AS kind, to_jsonb(res.*) AS row, NULL::jsonb AS signal FROM res
       UNION ALL SELECT 'step', to_jsonb(due.*), NULL FROM due
       UNION ALL SELECT 'cancel', to_jsonb(x.*) - 'by_signal', to_jsonb(bs.*)
         FROM (SELECT * FROM canceled UNION ALL SELECT * FROM newly) x JOIN ${t.triggers} bs ON bs.id = x.by_signal`,
      ),
      [signalId],
    )
    const steps = new Map<string, StepRecord>()
    const resolved: WaitRecord[] = []
    const cancel = new Map<string, { run: RunRecord; signal: TriggerEnvelope }>()
    for (const r of rows as { kind: string; row: Record<string, unknown>; signal: Record<string, unknown> | null }[]) {
      if (r.kind === 'wait') resolved.push(toWait(reviveDates(r.row)))
      else if (r.kind === 'step') {
        const step = toStep(reviveDates(r.row))
        steps.set(step.id, step)
      } else {
        const run = toRun(reviveDates(r.row))
        if (!cancel.has(run.id)) cancel.set(run.id, { run, signal: toTrigger(reviveDates(r.signal!)) })
      }
    }
    return { signal, resolved: resolved.map((wait) => ({ wait, step: steps.get(wait.stepRunId) ?? null })), cancel: [...cancel.values()] }
  }

  /** Marks a signal delivered once the runs it cancels are canceled (see deliver). */
  async delivered(signalId: string): Promise<boolean> {
    const { rowCount } = await this.q.query(`DELETE FROM ${this.t.deliveries} WHERE trigger_id = $1`, [signalId])
    return (rowCount ?? 0) > 0
  }

  /** Signals stored more than `graceMs` ago and still not delivered: their emitter stopped on the way. */
  async undelivered(graceMs: number, limit: number): Promise<string[]> {
    const { rows } = await this.q.query<{ trigger_id: string }>(
      `SELECT trigger_id FROM ${this.t.deliveries} WHERE created_at < now() - $1 * interval '1 millisecond' ORDER BY created_at LIMIT $2`,
      [graceMs, limit],
    )
    return rows.map((r) => r.trigger_id)
  }
}

function toWait(row: Record<string, unknown>): WaitRecord {
  return {
    stepRunId: row.step_run_id as string,
    runId: row.run_id as string,
    tenantId: row.tenant_id as string,
    stepName: row.step_name as string,
    signalTypes: row.signal_types as string[],
    match: row.match as JsonObject,
    status: row.status as WaitStatus,
    signalId: (row.signal_id as string | null) ?? null,
    createdAt: row.created_at as Date,
    timeoutAt: row.timeout_at as Date,
    resolvedAt: (row.resolved_at as Date | null) ?? null,
  }
}
