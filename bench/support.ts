import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createEngine, type Engine, type EngineConfig } from '../src/index.js'
import { DATABASE_URL, REDIS_URL } from './services.js'

export { DATABASE_URL, REDIS_URL } from './services.js'
export { percentile, round, sleep } from './numbers.js'

export type Mode = 'redis' | 'postgres' | 'embedded'

export interface BenchEngine {
  engine: Engine
  pool: pg.Pool
  tablePrefix: string
  close(): Promise<void>
}

/** An engine in the given mode on fresh tables and queues, cleaned up by close(). */
export async function benchEngine(mode: Mode, config: Partial<EngineConfig> = {}): Promise<BenchEngine> {
  const id = randomBytes(3).toString('hex')
  const tablePrefix = `bench_${id}_`
  const queuePrefix = `bench${id}`
  const base = { tablePrefix, queuePrefix, logger: quietLogger, ...config }
  const redis = mode === 'redis' ? new Redis(REDIS_URL, { maxRetriesPerRequest: null }) : undefined
  let pool: pg.Pool
  let engine: Engine
  if (mode === 'embedded') {
    engine = createEngine({ ...base, dataDir: false })
    pool = new pg.Pool({ connectionString: (await engine.info()).databaseUrl, max: 2 })
  } else {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 20 })
    engine = createEngine({ ...base, db: pool, ...(redis ? { redis } : {}) })
  }
  await engine.migrate()
  return {
    engine,
    pool,
    tablePrefix,
    async close() {
      await engine.stop()
      if (mode !== 'embedded') {
        const tables = ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations', 'workers']
        await pool.query(tables.map((t) => `DROP TABLE IF EXISTS "${tablePrefix}${t}" CASCADE`).join(';'))
        if (mode === 'postgres') await pool.query('DELETE FROM bullmq.job WHERE queue LIKE $1', [`${queuePrefix}-%`]).catch(() => undefined)
      }
      if (redis) {
        const keys = await redis.keys(`${queuePrefix}:*`)
        for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000))
        redis.disconnect()
      }
      await pool.end().catch(() => undefined)
    },
  }
}

export const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }
