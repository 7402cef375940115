import type { JsonObject, SignalEffects, StartedRun, TriggerEnvelope, TriggerInput } from '../types.js'
import { PulseError } from '../errors.js'
import { preparedStatement, type Queryable } from './db.js'
import { newId, newIdSql } from './ids.js'
import { reviveDates, toRun, toStep, toTrigger, type RunRecord, type StepRecord, type TraceCarrier } from './rows.js'
import type { RunStarts } from './plan.js'
import type { AdmissionOutcome } from './flow.js'
import type { Tables } from './tables.js'

/** A signal as emitted, once checked: its source resolved and its payload parsed. */
export type NewSignal = Omit<TriggerInput, 'source' | 'payload' | 'idempotencyKey'> & { source: string; payload: JsonObject }

export interface SignalRequest {
  signal: NewSignal
  /**
   * A fixed id: a signal whose id already exists is not written again and starts nothing (cron
   * ticks use this to stay exactly-once when a tick is delivered twice).
   */
  id?: string
  /** Match only this definition. */
  onlyDefinitionId?: string
  /**
   * Create first steps that are due now already claimed, for a worker in the emitting process
   * that will run them at once (with this lease). Delays are scheduled as usual.
   */
  claimFirstMs?: number
  /** The planner's table of first-step and run statuses (RUN_STARTS); the same for every request of a batch. */
  starts: RunStarts
  /** The trace context the runs' steps join, stored with each run. */
  traceContext?: TraceCarrier
}

/** A signal to store under an idempotency key (see SignalStore.persistKeyedMany). */
export interface KeyedSignalRequest extends SignalRequest {
  idempotency: {
    key: string
    /** Hash of the signal as it would be stored, to tell a repeat from a different signal under the same key. */
    requestHash: string
    /** Hash of the signal as it was sent, before its schema parsed it. */
    inputHash: string
    /** How long a key holds, in ms; the same for every request of a batch. */
    windowMs: number
  }
}

/** What an earlier emit stored under a key: its signal, the runs it started, and its hash. */
export interface EarlierSignal {
  trigger: TriggerEnvelope
  runs: StartedRun[]
  requestHash: string
  inputHash: string
}

/**
 * Per keyed request: what was written, or what the key already held, or `raced` when the key was
 * stored by an emit that committed while this one waited (read it with readKeyed).
 */
export type KeyedOutcome = { persisted: PersistedSignal } | { earlier: EarlierSignal } | { raced: true }

export interface RunSeed {
  isReplay: boolean
  isDryRun: boolean
  starts: RunStarts
  /** The trace context the runs' steps join, stored with each run. */
  traceContext?: TraceCarrier
}

export interface PersistedSignal {
  trigger: TriggerEnvelope
  runs: RunRecord[]
  firstSteps: StepRecord[]
  /** The signal still has to be delivered to waits and cancel-on (see WaitStore.deliver). */
  undelivered?: boolean
  /** What delivering it did, once it was delivered (set by the runtime's startRuns). */
  effects?: SignalEffects
  /** What flow control did with the runs it held, by run id (set by the runtime's startRuns). */
  admission?: ReadonlyMap<string, AdmissionOutcome>
}

/** Signals (the `triggers` table) and the runs they start. */
export class SignalStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
    /** See EngineConfig.delayScale; 1 leaves the statement as it always was. */
    private readonly delayScale = 1,
    /** The engine that holds first steps created already claimed (see StepStore). */
    private readonly workerId: string | null = null,
  ) {}

  /**
   * Persists signals, matches each against its tenant's enabled definitions and creates a run plus
   * its first step row per match, all in one statement: either all of it is written or none of
   * it. Returns, per request, what was written, or null for a fixed id that already existed.
   */
  async persistAndMatchMany(requests: SignalRequest[]): Promise<(PersistedSignal | null)[]> {
    const input = this.inputRows(requests)
    const { rows } = await this.q.query(preparedStatement(this.t, 'persistAndMatchMany', () => this.persistSql(false)), [
      JSON.stringify(input),
      JSON.stringify(requests[0]?.starts ?? {}),
    ])
    const byTrigger = groupRows(rows)
    return input.map((i) => byTrigger.get(i.id) ?? null)
  }

  /**
   * persistAndMatchMany for emits with an idempotency key, in one statement as well: per request,
   * either the key is new (or older than the window) and its row is written with the signal and
   * its runs, or the key was stored within the window and nothing is written. Concurrent
   * statements with one key wait on the key's primary key until the first commits; one that then
   * finds the key taken says `raced` (its snapshot predates the winner: read it with readKeyed).
   * A batch must not hold one (tenant, key) twice.
   */
  async persistKeyedMany(requests: KeyedSignalRequest[]): Promise<KeyedOutcome[]> {
    const input = this.inputRows(requests).map((row, i) => ({
      ...row,
      idempotency_key: requests[i]!.idempotency.key,
      request_hash: requests[i]!.idempotency.requestHash,
      input_hash: requests[i]!.idempotency.inputHash,
    }))
    const { rows } = await this.q.query(preparedStatement(this.t, 'persistKeyedMany', () => this.persistSql(true)), [
      JSON.stringify(input),
      JSON.stringify(requests[0]?.starts ?? {}),
      requests[0]?.idempotency.windowMs ?? 0,
    ])
    const byTrigger = groupRows(rows)
    const earlier = groupEarlier(rows)
    return input.map((i): KeyedOutcome => {
      const persisted = byTrigger.get(i.id)
      if (persisted?.trigger) return { persisted }
      const found = earlier.get(i.id)
      return found ? { earlier: found } : { raced: true }
    })
  }

  /**
   * A key stored within the window, with its signal and the runs that signal started (replays
   * left out), or null. Reads with a snapshot of its own, so it sees a key whose emit committed
   * while persistKeyedMany waited for it.
   */
  async readKeyed(tenantId: string, key: string, windowMs: number): Promise<EarlierSignal | null> {
    const t = this.t
    const { rows } = await this.q.query(
      `SELECT k.request_hash, k.input_hash, to_jsonb(stored.*) AS trigger,
              (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'definition_id', r.definition_id, 'key', r.definition_snapshot ->> 'key')), '[]'::jsonb)
               FROM ${t.runs} r WHERE r.trigger_id = k.trigger_id AND NOT r.is_replay) AS runs
       FROM ${t.idempotencyKeys} k JOIN ${t.triggers} stored ON stored.id = k.trigger_id
       WHERE k.tenant_id = $1 AND k.idempotency_key = $2 AND k.created_at > now() - $3::float8 * interval '1 millisecond'`,
      [tenantId, key, windowMs],
    )
    const row = rows[0] as { request_hash: string; input_hash: string; trigger: Record<string, unknown>; runs: StartedRunRow[] } | undefined
    if (!row) return null
    return { requestHash: row.request_hash, inputHash: row.input_hash, trigger: toTrigger(reviveDates(row.trigger)), runs: sortRuns(row.runs.map(toStartedRun)) }
  }

  private inputRows(requests: SignalRequest[]) {
    return requests.map((r) => ({
      id: r.id ?? newId('trg'),
      tenant_id: r.signal.tenantId,
      source: r.signal.source,
      type: r.signal.type,
      resource_type: r.signal.resourceType ?? null,
      resource_id: r.signal.resourceId ?? null,
      environment: r.signal.environment ?? null,
      payload: r.signal.payload,
      only_definition_id: r.onlyDefinitionId ?? null,
      claim_lease_ms: r.claimFirstMs ?? null,
      claimed_by: r.claimFirstMs === undefined ? null : this.workerId,
      priority: r.signal.priority ?? null,
      trace_context: r.traceContext ?? null,
    }))
  }

  /**
   * The statement that stores signals and starts their runs. Without keys it is the statement
   * emits have always used; with keys, the key rows decide which signals are written (see
   * persistKeyedMany) and the stored signal of each key already taken is read back.
   */
  private persistSql(keyed: boolean): string {
    const t = this.t
    const keyedColumns = keyed ? ', idempotency_key text, request_hash text, input_hash text' : ''
    const keyRows = keyed
      ? `
      earlier AS (
        SELECT input.id AS request_id, k.trigger_id, k.request_hash, k.input_hash
        FROM input JOIN ${t.idempotencyKeys} k ON k.tenant_id = input.tenant_id AND k.idempotency_key = input.idempotency_key
        WHERE k.created_at > now() - $3::float8 * interval '1 millisecond'
      ),
      key_rows AS (
        INSERT INTO ${t.idempotencyKeys} AS k (tenant_id, idempotency_key, trigger_id, request_hash, input_hash)
        SELECT tenant_id, idempotency_key, id, request_hash, input_hash FROM input WHERE id NOT IN (SELECT request_id FROM earlier)
        -- In one order in every statement, so two batches holding the same keys cannot deadlock.
        ORDER BY tenant_id, idempotency_key
        -- A key older than the window is taken over; a newer one (committed while this statement
        -- waited on it) is left alone, and this request writes nothing.
        ON CONFLICT (tenant_id, idempotency_key) DO UPDATE
          SET trigger_id = excluded.trigger_id, request_hash = excluded.request_hash, input_hash = excluded.input_hash, created_at = now()
          WHERE k.created_at <= now() - $3::float8 * interval '1 millisecond'
        RETURNING k.trigger_id
      ),`
      : ''
    const keyedFilter = keyed ? ' WHERE id IN (SELECT trigger_id FROM key_rows)' : ''
    const earlierRows = keyed
      ? `
      UNION ALL SELECT 'earlier', e.request_id, jsonb_build_object('request_hash', e.request_hash, 'input_hash', e.input_hash, 'trigger', to_jsonb(stored.*))
        FROM earlier e JOIN ${t.triggers} stored ON stored.id = e.trigger_id
      UNION ALL SELECT 'earlier_run', e.request_id, jsonb_build_object('id', r.id, 'definition_id', r.definition_id, 'key', r.definition_snapshot ->> 'key')
        FROM earlier e JOIN ${t.runs} r ON r.trigger_id = e.trigger_id AND NOT r.is_replay`
      : ''
    return `WITH input AS (
        SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, tenant_id text, source text, type text,
          resource_type text, resource_id text, environment text, payload jsonb, only_definition_id text, claim_lease_ms float8, claimed_by text, priority int,
          trace_context jsonb${keyedColumns})
      ),${keyRows}
      trg AS (
        INSERT INTO ${t.triggers} (id, tenant_id, source, type, resource_type, resource_id, environment, payload)
        SELECT id, tenant_id, source, type, resource_type, resource_id, environment, payload FROM input${keyedFilter}
        ON CONFLICT (id) DO NOTHING
        RETURNING *
      ),
      matchable AS (
        SELECT trg.id, trg.tenant_id, trg.type, trg.environment, trg.resource_type, trg.resource_id, trg.payload, input.priority,
               input.only_definition_id, false AS is_replay, false AS is_dry_run, input.claim_lease_ms, input.claimed_by, input.trace_context
        FROM trg JOIN input ON input.id = trg.id
      )
      ${this.matchAndCreate('$2')},
      -- A signal that something may wait for or cancel on, or that started a run with cancel-on,
      -- is delivered after this commits; the row is what makes that survive a crash.
      undelivered AS (
        INSERT INTO ${this.t.deliveries} (trigger_id, tenant_id)
        SELECT trg.id, trg.tenant_id FROM trg
        WHERE EXISTS (SELECT 1 FROM ${this.t.listeners} l WHERE l.tenant_id = trg.tenant_id AND l.signal_type = trg.type)
           OR EXISTS (SELECT 1 FROM runs WHERE runs.trigger_id = trg.id AND jsonb_typeof(runs.definition_snapshot -> 'cancelOn') = 'array')
        RETURNING trigger_id
      )
      SELECT 'trigger' AS kind, trg.id AS trigger_id, to_jsonb(trg.*) AS row FROM trg
      UNION ALL SELECT 'run', runs.trigger_id, to_jsonb(runs.*) FROM runs
      UNION ALL SELECT 'step', s.trigger_id, to_jsonb(steps.*) FROM steps JOIN planned s ON s.step_id = steps.id
      UNION ALL SELECT 'undelivered', trigger_id, NULL FROM undelivered${earlierRows}`
  }

  /**
   * Stores one signal under its idempotency key and starts its runs, or finds what the key
   * already holds; see persistKeyedMany. Nothing is written in the second case.
   */
  async persistKeyed(request: KeyedSignalRequest): Promise<{ persisted: PersistedSignal } | { earlier: EarlierSignal }> {
    for (let attempt = 1; ; attempt++) {
      const [outcome] = await this.persistKeyedMany([request])
      if (outcome && !('raced' in outcome)) return outcome
      const earlier = await this.readKeyed(request.signal.tenantId, request.idempotency.key, request.idempotency.windowMs)
      if (earlier) return { earlier }
      // The winner's key ran out of its window in the meantime, so the key is free again: only
      // a window of a few milliseconds makes that happen more than once.
      if (attempt === 3) {
        throw new PulseError('IDEMPOTENCY_KEY_BUSY', `idempotency key "${request.idempotency.key}" kept changing hands while this emit waited for it; emit again, or use a longer idempotencyWindowMs`)
      }
    }
  }

  /** Deletes up to `limit` idempotency keys older than `windowMs`; returns how many. */
  async purgeExpiredKeys(windowMs: number, limit: number): Promise<number> {
    const t = this.t
    const { rowCount } = await this.q.query(
      `DELETE FROM ${t.idempotencyKeys} WHERE ctid IN (
         SELECT ctid FROM ${t.idempotencyKeys} WHERE created_at < now() - $1::float8 * interval '1 millisecond' ORDER BY created_at LIMIT $2
       ) AND created_at < now() - $1::float8 * interval '1 millisecond'`,
      [windowMs, limit],
    )
    return rowCount ?? 0
  }

  /** Persists one signal; see persistAndMatchMany. */
  async persistAndMatch(signal: NewSignal, options: Omit<SignalRequest, 'signal'>): Promise<PersistedSignal | null> {
    const [persisted] = await this.persistAndMatchMany([{ signal, ...options }])
    return persisted ?? null
  }

  /** Matches a stored signal again against the tenant's current definitions (replay). */
  async rematch(trigger: TriggerEnvelope, seed: RunSeed): Promise<PersistedSignal> {
    const { rows } = await this.q.query(
      `WITH matchable AS (
        SELECT $1::text AS id, $2::text AS tenant_id, $3::text AS type, $4::text AS environment,
               $5::text AS resource_type, $9::text AS resource_id, $10::jsonb AS payload, NULL::int AS priority,
               NULL::text AS only_definition_id, $6::boolean AS is_replay, $7::boolean AS is_dry_run,
               NULL::float8 AS claim_lease_ms, NULL::text AS claimed_by, $11::jsonb AS trace_context
      )
      ${this.matchAndCreate('$8')},
      -- Runs with cancel-on are checked against the signals stored since they began (see WaitStore.deliver).
      undelivered AS (
        INSERT INTO ${this.t.deliveries} (trigger_id, tenant_id)
        SELECT DISTINCT runs.trigger_id, runs.tenant_id FROM runs WHERE jsonb_typeof(runs.definition_snapshot -> 'cancelOn') = 'array'
        ON CONFLICT (trigger_id) DO NOTHING
        RETURNING trigger_id
      )
      SELECT 'run' AS kind, runs.trigger_id, to_jsonb(runs.*) AS row FROM runs
      UNION ALL SELECT 'step', s.trigger_id, to_jsonb(steps.*) FROM steps JOIN planned s ON s.step_id = steps.id
      UNION ALL SELECT 'undelivered', trigger_id, NULL FROM undelivered`,
      [
        trigger.id,
        trigger.tenantId,
        trigger.type,
        trigger.environment ?? null,
        trigger.resourceType ?? null,
        seed.isReplay,
        seed.isDryRun,
        JSON.stringify(seed.starts),
        trigger.resourceId ?? null,
        JSON.stringify(trigger.payload ?? {}),
        seed.traceContext ? JSON.stringify(seed.traceContext) : null,
      ],
    )
    const persisted = groupRows(rows).get(trigger.id)
    return { trigger, runs: persisted?.runs ?? [], firstSteps: persisted?.firstSteps ?? [], ...(persisted?.undelivered ? { undelivered: true } : {}) }
  }

  async get(id: string, tenantId?: string): Promise<TriggerEnvelope | null> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.triggers} WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)`,
      [id, tenantId ?? null],
    )
    return rows[0] ? toTrigger(rows[0]) : null
  }

  /** Stored signals, newest first, of one tenant or all, optionally of one type. */
  async list(filter: { tenantId?: string; type?: string; limit?: number }): Promise<TriggerEnvelope[]> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.triggers}
       WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR type = $2)
       ORDER BY created_at DESC, id DESC
       LIMIT $3`,
      [filter.tenantId ?? null, filter.type ?? null, filter.limit ?? 100],
    )
    return rows.map(toTrigger)
  }

  /**
   * The CTEs that find the definitions each signal in `matchable` matches and create a run with
   * its first step for every match. The statuses they start in come from the planner's table of
   * starts (`startsParam`, see RunStarts), looked up by how the run starts and its first step's type.
   */
  private matchAndCreate(startsParam: string): string {
    const t = this.t
    return `,
      flowed AS (
        SELECT m.*, d.id AS definition_id, d.key, d.version, d.name, d.trigger_type, d.steps, d.config, d.cancel_on, d.flow,
               ${heldSql('d.flow', 'm.is_dry_run')} AS held
        FROM matchable m
        -- LATERAL: one index lookup per signal on (tenant_id, trigger_type), whatever the table size.
        CROSS JOIN LATERAL (
          SELECT * FROM ${t.definitions} d
          WHERE d.tenant_id = m.tenant_id AND d.trigger_type = m.type AND d.is_enabled
            AND (d.environment_filter IS NULL OR d.environment_filter = m.environment)
            AND (d.resource_type_filter IS NULL OR d.resource_type_filter = m.resource_type)
            AND (m.only_definition_id IS NULL OR d.id = m.only_definition_id)
        ) d
      ),
      planned_rows AS (
        SELECT m.definition_id, m.tenant_id, m.key, m.version, m.name, m.trigger_type, m.steps, m.config, m.cancel_on, m.flow, m.held,
               m.id AS trigger_id, m.is_replay, m.is_dry_run, m.claim_lease_ms, m.claimed_by, m.trace_context,
               ${flowKeysSql('m')},
               m.steps -> 0 AS first_step,
               ${startsParam}::jsonb -> (CASE WHEN m.is_dry_run THEN 'dry-run' WHEN m.held THEN 'held' WHEN m.claim_lease_ms IS NOT NULL THEN 'claimed' ELSE 'queued' END)
                 -> (m.steps -> 0 ->> 'type') AS start,
               md5(gen_random_uuid()::text) AS run_random, md5(gen_random_uuid()::text) AS step_random
        FROM flowed m
      ),
      planned AS (
        SELECT p.*, ${newIdSql('run', 'p.run_random')} AS run_id, ${newIdSql('stp', 'p.step_random')} AS step_id FROM planned_rows p
      ),
      runs AS (
        INSERT INTO ${t.runs} (id, definition_id, tenant_id, trigger_id, status, is_replay, is_dry_run, definition_snapshot, started_at,
                               flow_group, concurrency_key, rate_key, debounce_key, held, priority, trace_context)
        SELECT p.run_id, p.definition_id, p.tenant_id, p.trigger_id, p.start ->> 'run', p.is_replay, p.is_dry_run,
               jsonb_build_object('id', p.definition_id, 'key', p.key, 'version', p.version, 'name', p.name,
                                  'triggerType', p.trigger_type, 'steps', p.steps, 'config', p.config)
                 || CASE WHEN p.cancel_on IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('cancelOn', p.cancel_on) END
                 || CASE WHEN p.flow IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('flow', p.flow) END,
               CASE WHEN (p.start ->> 'started')::boolean THEN now() END,
               p.flow_group, p.concurrency_key, p.rate_key, p.debounce_key, p.held, p.priority, p.trace_context
        FROM planned p
        RETURNING *
      ),
      steps AS (
        INSERT INTO ${t.steps} (id, run_id, tenant_id, step_index, step_path, step_type, step_name, status,
                                attempt, fence, started_at, locked_until, scheduled_for, claimed_by)
        SELECT p.step_id, p.run_id, p.tenant_id, 0, ARRAY[0], p.first_step ->> 'type', p.first_step ->> 'name', p.start ->> 'step',
               CASE WHEN (p.start ->> 'claim')::boolean THEN 1 ELSE 0 END,
               CASE WHEN (p.start ->> 'claim')::boolean THEN 1 ELSE 0 END,
               CASE WHEN (p.start ->> 'claim')::boolean THEN now() END,
               CASE WHEN (p.start ->> 'claim')::boolean THEN now() + p.claim_lease_ms * interval '1 millisecond' END,
               CASE p.start ->> 'due' WHEN 'now' THEN now()
                    WHEN 'after-delay' THEN now() + (${scaledDelaySql(`(p.first_step ->> 'delayMs')::bigint`, this.delayScale)} * interval '1 millisecond')
                    WHEN 'parked' THEN 'infinity'::timestamptz
               END,
               CASE WHEN (p.start ->> 'claim')::boolean THEN p.claimed_by END
        FROM planned p
        JOIN runs r ON r.id = p.run_id
        RETURNING *
      )`
  }
}

/**
 * Whether a new run waits for flow control to admit it: when its definition limits concurrency,
 * throttles, rate-limits or debounces (a priority alone holds nothing back). Dry runs run
 * nothing, so nothing holds them.
 */
function heldSql(flow: string, isDryRun: string): string {
  return `(${flow} IS NOT NULL AND NOT ${isDryRun} AND ${flow} ?| array['concurrency', 'throttle', 'rateLimit', 'debounce'])`
}

/**
 * The flow-control columns of a new run from its definition's flow and its signal (\`m\`): the
 * group (the workflow within its tenant) and, per limit, the group plus the value at the limit's
 * key path (none: the tenant alone). Throttle and rate limit count the same starts, under the
 * throttle's key when both are set.
 */
function flowKeysSql(m: string): string {
  const group = `coalesce(${m}.key, ${m}.definition_id)`
  const valueAt = (path: string) =>
    `coalesce(CASE WHEN ${path} IS NULL THEN '' WHEN ${path} = 'resourceId' THEN ${m}.resource_id WHEN ${path} = 'resourceType' THEN ${m}.resource_type
       WHEN ${path} = 'environment' THEN ${m}.environment ELSE ${m}.payload #>> string_to_array(substr(${path}, 9), '.') END, '')`
  const keyFor = (limits: string[]) => {
    const present = limits.map((l) => `${m}.flow ? '${l}'`).join(' OR ')
    const path = `coalesce(${limits.map((l) => `${m}.flow -> '${l}' ->> 'key'`).join(', ')})`
    return `CASE WHEN ${m}.held AND (${present}) THEN ${group} || chr(31) || ${valueAt(path)} END`
  }
  return `CASE WHEN ${m}.held THEN ${group} END AS flow_group,
               ${keyFor(['concurrency'])} AS concurrency_key,
               ${keyFor(['throttle', 'rateLimit'])} AS rate_key,
               ${keyFor(['debounce'])} AS debounce_key,
               CASE WHEN ${m}.flow IS NOT NULL THEN coalesce(${m}.priority, (${m}.flow ->> 'priority')::int, 5) END AS priority`
}

/**
 * A delay in milliseconds as SQL, shortened by `scale`. The scale is a validated number in (0, 1],
 * so it can be part of the statement's text: a statement without it is the same as before.
 */
function scaledDelaySql(ms: string, scale: number): string {
  return scale === 1 ? ms : `(${ms} * ${scale}::float8)`
}

function groupRows(rows: Record<string, unknown>[]): Map<string, PersistedSignal> {
  const byTrigger = new Map<string, PersistedSignal>()
  const entry = (id: string) => {
    let e = byTrigger.get(id)
    if (!e) {
      e = { trigger: undefined as unknown as TriggerEnvelope, runs: [], firstSteps: [] }
      byTrigger.set(id, e)
    }
    return e
  }
  for (const { kind, trigger_id, row } of rows as { kind: string; trigger_id: string; row: Record<string, unknown> }[]) {
    if (kind === 'trigger') entry(trigger_id).trigger = toTrigger(reviveDates(row))
    else if (kind === 'run') entry(trigger_id).runs.push(toRun(reviveDates(row)))
    else if (kind === 'step') entry(trigger_id).firstSteps.push(toStep(reviveDates(row)))
    else if (kind === 'undelivered') entry(trigger_id).undelivered = true
  }
  return byTrigger
}

type StartedRunRow = { id: string; definition_id: string; key: string | null }

const toStartedRun = (r: StartedRunRow): StartedRun => ({ runId: r.id, workflowKey: r.key ?? null, definitionId: r.definition_id })

/** Runs in one order whichever way they were read, so a repeated emit lists them as the first did. */
export function sortRuns(runs: StartedRun[]): StartedRun[] {
  return runs.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0))
}

/** The `earlier` and `earlier_run` rows of the keyed statement, by the id of the request they answer. */
function groupEarlier(rows: Record<string, unknown>[]): Map<string, EarlierSignal> {
  const byRequest = new Map<string, EarlierSignal>()
  const runs: { requestId: string; row: StartedRunRow }[] = []
  for (const { kind, trigger_id, row } of rows as { kind: string; trigger_id: string; row: Record<string, unknown> }[]) {
    if (kind === 'earlier') {
      const { request_hash, input_hash, trigger } = row as { request_hash: string; input_hash: string; trigger: Record<string, unknown> }
      byRequest.set(trigger_id, { requestHash: request_hash, inputHash: input_hash, trigger: toTrigger(reviveDates(trigger)), runs: [] })
    } else if (kind === 'earlier_run') {
      runs.push({ requestId: trigger_id, row: row as StartedRunRow })
    }
  }
  for (const { requestId, row } of runs) byRequest.get(requestId)?.runs.push(toStartedRun(row))
  for (const earlier of byRequest.values()) sortRuns(earlier.runs)
  return byRequest
}
