import type { JsonObject, TriggerEnvelope } from '../types.js'
import type { Queryable } from './db.js'
import { newId } from './ids.js'
import { reviveDates, toRun, toStep, toTrigger, type RunRecord, type StepRecord } from './rows.js'
import type { Tables } from './tables.js'

export interface NewSignal {
  tenantId: string
  source: string
  type: string
  resourceType?: string
  resourceId?: string
  environment?: string
  payload: JsonObject
}

export interface RunSeed {
  isReplay: boolean
  isDryRun: boolean
}

export interface PersistedSignal {
  trigger: TriggerEnvelope
  runs: RunRecord[]
  firstSteps: StepRecord[]
}

/** Signals (the `triggers` table) and the runs they start. */
export class SignalStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
  ) {}

  /**
   * Persists a signal, matches the tenant's enabled definitions and creates a run plus its first
   * step row for each, in one statement: either all of it is written or none of it.
   *
   * With `options.id`, a signal whose id already exists is not written again and starts nothing;
   * cron ticks use this to stay exactly-once when a tick is delivered twice. With
   * `options.onlyDefinitionId`, only that definition is matched.
   */
  async persistAndMatch(signal: NewSignal, options: { id?: string; onlyDefinitionId?: string } = {}): Promise<PersistedSignal | null> {
    const id = options.id ?? newId('trg')
    const { rows } = await this.q.query(
      `WITH trg AS (
        INSERT INTO ${this.t.triggers} (id, tenant_id, source, type, resource_type, resource_id, environment, payload)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id) DO NOTHING
        RETURNING *
      )
      ${this.matchAndCreate('(SELECT id FROM trg)', '$2', '$4', '$7', '$5', 'false', 'false', '$9')}
      SELECT 'trigger' AS kind, to_jsonb(trg.*) AS row FROM trg
      UNION ALL SELECT 'run', to_jsonb(runs.*) FROM runs
      UNION ALL SELECT 'step', to_jsonb(steps.*) FROM steps`,
      [
        id,
        signal.tenantId,
        signal.source,
        signal.type,
        signal.resourceType ?? null,
        signal.resourceId ?? null,
        signal.environment ?? null,
        signal.payload,
        options.onlyDefinitionId ?? null,
      ],
    )
    const persisted = splitRows(rows)
    return persisted.trigger ? persisted : null
  }

  /** Matches a stored signal again against the tenant's current definitions (replay). */
  async rematch(trigger: TriggerEnvelope, seed: RunSeed): Promise<PersistedSignal> {
    const { rows } = await this.q.query(
      `WITH trg AS (SELECT $1::text AS id)
      ${this.matchAndCreate('$1::text', '$2', '$3', '$4', '$5', '$6', '$7', 'NULL')}
      SELECT 'run' AS kind, to_jsonb(runs.*) AS row FROM runs
      UNION ALL SELECT 'step', to_jsonb(steps.*) FROM steps`,
      [
        trigger.id,
        trigger.tenantId,
        trigger.type,
        trigger.environment ?? null,
        trigger.resourceType ?? null,
        seed.isReplay,
        seed.isDryRun,
      ],
    )
    const { runs, firstSteps } = splitRows(rows)
    return { trigger, runs, firstSteps }
  }

  async get(id: string, tenantId?: string): Promise<TriggerEnvelope | null> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.triggers} WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)`,
      [id, tenantId ?? null],
    )
    return rows[0] ? toTrigger(rows[0]) : null
  }

  /**
   * The CTEs that find matching definitions and create runs with their first step. A first
   * step that is a delay is created already scheduled, and its run starts out waiting.
   */
  private matchAndCreate(
    triggerId: string,
    tenant: string,
    type: string,
    environment: string,
    resourceType: string,
    isReplay: string,
    isDryRun: string,
    onlyDefinitionId: string,
  ): string {
    const t = this.t
    return `,
      defs AS (
        SELECT d.*, d.steps -> 0 AS first_step
        FROM ${t.definitions} d
        WHERE d.tenant_id = ${tenant} AND d.trigger_type = ${type} AND d.is_enabled
          AND (d.environment_filter IS NULL OR d.environment_filter = ${environment})
          AND (d.resource_type_filter IS NULL OR d.resource_type_filter = ${resourceType})
          AND (${onlyDefinitionId}::text IS NULL OR d.id = ${onlyDefinitionId})
          AND EXISTS (SELECT 1 FROM trg)
      ),
      planned AS (
        SELECT d.*, 'run_' || replace(gen_random_uuid()::text, '-', '') AS run_id,
               'stp_' || replace(gen_random_uuid()::text, '-', '') AS step_id,
               (d.first_step ->> 'type') = 'delay' AS starts_with_delay
        FROM defs d
      ),
      runs AS (
        INSERT INTO ${t.runs} (id, definition_id, tenant_id, trigger_id, status, is_replay, is_dry_run, definition_snapshot, started_at)
        SELECT p.run_id, p.id, p.tenant_id, ${triggerId},
               CASE WHEN p.starts_with_delay THEN 'waiting' ELSE 'pending' END,
               ${isReplay}, ${isDryRun},
               jsonb_build_object('id', p.id, 'key', p.key, 'version', p.version, 'name', p.name,
                                  'triggerType', p.trigger_type, 'steps', p.steps, 'config', p.config),
               CASE WHEN p.starts_with_delay THEN now() END
        FROM planned p
        RETURNING *
      ),
      steps AS (
        INSERT INTO ${t.steps} (id, run_id, tenant_id, step_index, step_path, step_type, step_name, status, scheduled_for)
        SELECT p.step_id, p.run_id, p.tenant_id, 0, ARRAY[0], p.first_step ->> 'type', p.first_step ->> 'name',
               CASE WHEN p.starts_with_delay THEN 'scheduled' ELSE 'pending' END,
               CASE WHEN p.starts_with_delay AND ${isDryRun} THEN now()
                    WHEN p.starts_with_delay THEN now() + ((p.first_step ->> 'delayMs')::bigint * interval '1 millisecond')
               END
        FROM planned p
        JOIN runs r ON r.id = p.run_id
        RETURNING *
      )`
  }
}

function splitRows(rows: Record<string, unknown>[]): PersistedSignal {
  let trigger: TriggerEnvelope | undefined
  const runs: RunRecord[] = []
  const firstSteps: StepRecord[] = []
  for (const { kind, row } of rows as { kind: string; row: Record<string, unknown> }[]) {
    if (kind === 'trigger') trigger = toTrigger(reviveDates(row))
    else if (kind === 'run') runs.push(toRun(reviveDates(row)))
    else firstSteps.push(toStep(reviveDates(row)))
  }
  return { trigger: trigger as TriggerEnvelope, runs, firstSteps }
}
