import { Redis } from 'ioredis'
import pg from 'pg'
import { createEngine } from '../../src/index.js'
import { DATABASE_URL, REDIS_URL, percentile, quietLogger, round } from '../support.js'

export interface EmitPoint {
  definitions: number
  tenantDefinitions: number
  signalsPerSecond: number
  p50Ms: number
  p99Ms: number
}

export interface EmitResult {
  small: EmitPoint
  large: EmitPoint
  /** p99 at the large table over p99 at the small one. */
  p99Growth: number
}

/**
 * Emit cost as the definitions table grows: 10 concurrent emitters against a tenant whose enabled
 * definitions include exactly one that matches, first in a table of 10 definitions, then of
 * `total` definitions across 1,000 tenants with `perTenant` of them for the emitting tenant.
 * The fixture rows are written with plain SQL: loading 100,000 definitions through the API
 * would measure the loader, not emit.
 */
export async function emitScaling(total: number, perTenant: number, signals: number): Promise<EmitResult> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 12 })
  const prefix = `bench_emit_${Date.now().toString(36)}_`
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
  const queuePrefix = `benchemit${Date.now().toString(36)}`
  // Redis mode, not started: emit persists and enqueues; no worker competes for the machine.
  const engine = createEngine({ db: pool, redis, tablePrefix: prefix, queuePrefix, logger: quietLogger })
  engine.registerTrigger('bench.match', { source: 'bench' })
  await engine.migrate()
  const defs = `"${prefix}workflow_definitions"`
  const insert = async (count: number, tenants: number, tenantOffset: number) => {
    await pool.query(
      `INSERT INTO ${defs} (id, tenant_id, hash, name, trigger_type, steps, config, is_enabled)
       SELECT 'wfd_bench_' || ($3::int + g), 'tenant_' || (($3::int + g) % $2::int), 'h', 'filler',
              'bench.other_' || (g % 50), '[{"type":"action","name":"noop"}]'::jsonb, '{}'::jsonb, true
       FROM generate_series(1, $1::int) AS g`,
      [count, tenants, tenantOffset],
    )
    await pool.query(`ANALYZE ${defs}`)
  }
  const measure = async (): Promise<Omit<EmitPoint, 'definitions' | 'tenantDefinitions'>> => {
    const latencies: number[] = []
    let sent = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (sent < signals) {
          sent++
          const t0 = performance.now()
          await engine.emit({ tenantId: 'tenant_target', type: 'bench.match', payload: {} })
          latencies.push(performance.now() - t0)
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    latencies.sort((a, b) => a - b)
    return { signalsPerSecond: Math.round(signals / seconds), p50Ms: round(percentile(latencies, 50), 2), p99Ms: round(percentile(latencies, 99), 2) }
  }
  const count = async (where = 'true') => Number((await pool.query(`SELECT count(*) AS n FROM ${defs} WHERE ${where}`)).rows[0].n)
  try {
    // The one definition that matches, plus nine that do not.
    await engine.createWorkflow({ tenantId: 'tenant_target', name: 'match', triggerType: 'bench.match', steps: [{ type: 'action', name: 'noop' }], config: {}, isEnabled: true })
    await pool.query(
      `INSERT INTO ${defs} (id, tenant_id, hash, name, trigger_type, steps, config, is_enabled)
       SELECT 'wfd_target_' || g, 'tenant_target', 'h', 'filler', 'bench.other_' || g, '[{"type":"action","name":"noop"}]'::jsonb, '{}'::jsonb, true
       FROM generate_series(1, 9) AS g`,
    )
    // A new process loads BullMQ and opens the pool's connections on its first emits: startup
    // costs, not the per-emit cost measured here, and they would otherwise be the small table's p99.
    await Promise.all(Array.from({ length: 10 }, () => engine.emit({ tenantId: 'tenant_target', type: 'bench.match', payload: {} })))
    const small = { definitions: await count(), tenantDefinitions: await count(`tenant_id = 'tenant_target'`), ...(await measure()) }
    await pool.query(
      `INSERT INTO ${defs} (id, tenant_id, hash, name, trigger_type, steps, config, is_enabled)
       SELECT 'wfd_target_more_' || g, 'tenant_target', 'h', 'filler', 'bench.other_' || (g % 50), '[{"type":"action","name":"noop"}]'::jsonb, '{}'::jsonb, true
       FROM generate_series(1, $1::int) AS g`,
      [perTenant - 10],
    )
    await insert(total - (await count()), 999, 0)
    const large = { definitions: await count(), tenantDefinitions: await count(`tenant_id = 'tenant_target'`), ...(await measure()) }
    return { small, large, p99Growth: round(large.p99Ms / small.p99Ms, 2) }
  } finally {
    await engine.stop()
    const tables = ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations', 'workers']
    await pool.query(tables.map((t) => `DROP TABLE IF EXISTS "${prefix}${t}" CASCADE`).join(';'))
    await pool.end()
    const keys = await redis.keys(`${queuePrefix}:*`)
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000))
    redis.disconnect()
  }
}
