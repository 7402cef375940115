import { listeners } from '../definition/index.js'
import type { WorkflowDefinition, WorkflowSpec } from '../types.js'
import type { Queryable } from './db.js'
import { newId } from './ids.js'
import { toDefinition } from './rows.js'
import type { Tables } from './tables.js'

export interface NewDefinition extends Omit<WorkflowSpec, 'key'> {
  tenantId: string
  key?: string
  hash: string
}

/** Workflow definitions, one row per tenant and key. */
export class DefinitionStore {
  constructor(
    private readonly q: Queryable,
    private readonly t: Tables,
  ) {}

  /**
   * Stores a new definition and, in the same statement, the signal types it listens to (see
   * writeListeners), so no signal can be stored between the two without being seen as awaited.
   */
  async insert(def: NewDefinition): Promise<WorkflowDefinition> {
    const { rows } = await this.q.query(
      `WITH def AS (
         INSERT INTO ${this.t.definitions}
           (id, tenant_id, key, version, hash, name, description, trigger_type, environment_filter, resource_type_filter,
            steps, config, is_enabled, cron_expression, cron_timezone, cancel_on, flow)
         VALUES ($1, $15, $16, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING *
       )${writeListeners(this.t, '$17')}
       SELECT * FROM def`,
      [newId('wfd'), ...contentValues(def), def.tenantId, def.key ?? null, JSON.stringify(listeners(def))],
    )
    return toDefinition(rows[0]!)
  }

  /** Replaces the content of a keyed definition and bumps its version, unless the hash is unchanged. */
  async update(id: string, def: NewDefinition): Promise<WorkflowDefinition | null> {
    const { rows } = await this.q.query(
      `WITH def AS (
         UPDATE ${this.t.definitions} SET
           version = version + 1, hash = $2, name = $3, description = $4, trigger_type = $5,
           environment_filter = $6, resource_type_filter = $7, steps = $8, config = $9,
           is_enabled = $10, cron_expression = $11, cron_timezone = $12, cancel_on = $13, flow = $14, updated_at = now()
         WHERE id = $1 AND hash <> $2
         RETURNING *
       )${writeListeners(this.t, '$15')}
       SELECT * FROM def`,
      [id, ...contentValues(def), JSON.stringify(listeners(def))],
    )
    return rows[0] ? toDefinition(rows[0]) : null
  }

  async get(id: string, tenantId?: string): Promise<WorkflowDefinition | null> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.definitions} WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)`,
      [id, tenantId ?? null],
    )
    return rows[0] ? toDefinition(rows[0]) : null
  }

  async listForTenant(tenantId: string, options: { lock?: boolean } = {}): Promise<WorkflowDefinition[]> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.definitions} WHERE tenant_id = $1 ORDER BY created_at, id${options.lock ? ' FOR UPDATE' : ''}`,
      [tenantId],
    )
    return rows.map(toDefinition)
  }

  /** Stored definitions of one tenant or all, optionally of one key, by tenant then key. */
  async list(filter: { tenantId?: string; key?: string }): Promise<WorkflowDefinition[]> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.definitions}
       WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR key = $2)
       ORDER BY tenant_id, coalesce(key, name), id`,
      [filter.tenantId ?? null, filter.key ?? null],
    )
    return rows.map(toDefinition)
  }

  /** Every enabled definition with a cron schedule, across tenants. */
  async listScheduled(): Promise<WorkflowDefinition[]> {
    const { rows } = await this.q.query(
      `SELECT * FROM ${this.t.definitions} WHERE cron_expression IS NOT NULL AND is_enabled ORDER BY id`,
    )
    return rows.map(toDefinition)
  }

  async setEnabled(id: string, enabled: boolean, tenantId?: string): Promise<WorkflowDefinition | null> {
    const { rows } = await this.q.query(
      `UPDATE ${this.t.definitions} SET is_enabled = $2, updated_at = now()
       WHERE id = $1 AND ($3::text IS NULL OR tenant_id = $3)
       RETURNING *`,
      [id, enabled, tenantId ?? null],
    )
    return rows[0] ? toDefinition(rows[0]) : null
  }

  /**
   * Every handler name that enabled definitions use, with one workflow that uses it, so start()
   * can report handlers this process never registered before any run trips over them.
   */
  async usedHandlers(): Promise<{ type: 'action' | 'condition'; name: string; workflow: string; tenantId: string }[]> {
    const { rows } = await this.q.query<{ type: 'action' | 'condition'; name: string; workflow: string; tenant_id: string }>(
      `SELECT s ->> 'type' AS type, s ->> 'name' AS name, min(coalesce(d.key, d.name)) AS workflow, min(d.tenant_id) AS tenant_id
       FROM ${this.t.definitions} d, jsonb_path_query(d.steps, 'strict $.**') AS s
       WHERE d.is_enabled AND jsonb_typeof(s) = 'object' AND s ->> 'type' IN ('action', 'condition')
       GROUP BY 1, 2
       ORDER BY 1, 2`,
    )
    return rows.map((r) => ({ type: r.type, name: r.name, workflow: r.workflow, tenantId: r.tenant_id }))
  }

  /** Serialises syncs of one tenant across processes for the rest of the transaction. */
  async lockTenant(tenantId: string): Promise<void> {
    await this.q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pulse-engine:sync:${this.t.prefix}:${tenantId}`])
  }
}

/** The content columns of a definition, in the order both insert and update bind them ($2..$14). */
function contentValues(def: NewDefinition): unknown[] {
  return [
    def.hash,
    def.name,
    def.description ?? null,
    def.triggerType,
    def.environmentFilter ?? null,
    def.resourceTypeFilter ?? null,
    JSON.stringify(def.steps),
    def.config,
    def.isEnabled,
    def.cronExpression ?? null,
    def.cronTimezone ?? null,
    // Stringified: pg would send a JS array as a Postgres array, not as JSON.
    def.cancelOn ? JSON.stringify(def.cancelOn) : null,
    def.flow ? JSON.stringify(def.flow) : null,
  ]
}

/**
 * A CTE that adds what the definition written by the CTE `def` listens to (see `listeners`) to
 * the listeners table, from the jsonb parameter `listenersParam`. Rows are only ever added: a
 * signal of a listed type looks for waits and cancel-ons, and finding none is cheap, while a
 * type missing from the list would be a signal that never reaches a waiting run. Nothing is
 * added when `def` wrote no row (an update of an unchanged hash).
 */
function writeListeners(t: Tables, listenersParam: string): string {
  return `,
       listeners AS (
         INSERT INTO ${t.listeners} (tenant_id, signal_type, match_paths, cancels)
         SELECT def.tenant_id, l."signalType", l."matchPaths", l.cancels
         FROM def, jsonb_to_recordset(${listenersParam}::jsonb) AS l("signalType" text, "matchPaths" text[], cancels boolean)
         ON CONFLICT DO NOTHING
       )`
}
