import { PulseError } from '../errors.js'
import { inTransaction, type PoolLike } from './db.js'
import { initialSchema } from './migrations/001-initial.js'
import { hotUpdates } from './migrations/002-hot-updates.js'
import { workerLiveness } from './migrations/003-worker-liveness.js'
import { idempotencyKeys } from './migrations/004-idempotency.js'
import { signalWaits } from './migrations/005-signal-waits.js'
import { flowDefinitions } from './migrations/006-flow-definitions.js'
import { flowControl } from './migrations/007-flow-control.js'
import { traceContext } from './migrations/008-trace-context.js'
import { dashboardSearch } from './migrations/009-dashboard-search.js'
import type { Tables } from './tables.js'

interface Migration {
  version: number
  name: string
  sql: (t: Tables) => string
}

/** Every schema change, in order. Append only: a released migration is never edited. */
const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: initialSchema },
  { version: 2, name: 'hot-updates', sql: hotUpdates },
  { version: 3, name: 'worker-liveness', sql: workerLiveness },
  { version: 4, name: 'idempotency', sql: idempotencyKeys },
  { version: 5, name: 'signal-waits', sql: signalWaits },
  { version: 6, name: 'flow-definitions', sql: flowDefinitions },
  { version: 7, name: 'flow-control', sql: flowControl },
  { version: 8, name: 'trace-context', sql: traceContext },
  { version: 9, name: 'dashboard-search', sql: dashboardSearch },
]

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0

/** Every migration's SQL for one set of tables, in order: what a migrated database was built from. */
export function migrationsSql(t: Tables): string {
  return MIGRATIONS.map((m) => `-- ${m.version} ${m.name}\n${m.sql(t)}`).join('\n')
}

/**
 * Brings the schema for one table prefix up to date. Several processes may call this at once:
 * a transaction-scoped advisory lock per prefix lets one of them apply the migrations while the
 * others wait and then find nothing left to do.
 */
export async function migrate(pool: PoolLike, t: Tables): Promise<{ applied: number[] }> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pulse-engine:migrate:${t.schema}.${t.prefix}`])
    await client.query(`CREATE TABLE IF NOT EXISTS ${t.migrations} (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`)
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${t.migrations}`)
    const done = new Set(rows.map((r) => r.version))
    const newest = Math.max(0, ...done)
    if (newest > LATEST_SCHEMA_VERSION) {
      throw new PulseError(
        'SCHEMA_TOO_NEW',
        `the database schema for prefix "${t.prefix}" is at version ${newest}, but this pulse-engine only knows up to version ${LATEST_SCHEMA_VERSION}; upgrade pulse-engine instead of running an older one against this database`,
      )
    }
    const applied: number[] = []
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue
      await client.query(m.sql(t))
      await client.query(`INSERT INTO ${t.migrations} (version, name) VALUES ($1, $2)`, [m.version, m.name])
      applied.push(m.version)
    }
    return { applied }
  })
}

/** The schema version applied for a prefix, or null when its tables were never created. */
export async function schemaVersion(pool: PoolLike, t: Tables): Promise<number | null> {
  const { rows } = await pool.query<{ exists: string | null }>('SELECT to_regclass($1) AS exists', [t.migrations])
  if (!rows[0]?.exists) return null
  const { rows: versions } = await pool.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${t.migrations}`)
  return versions[0]?.version ?? 0
}
