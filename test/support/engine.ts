import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createEngine, type Engine, type EngineConfig, type WorkflowRun, type WorkflowStatus } from '../../src/index.js'
import { DATABASE_URL, MODE, REDIS_URL } from './services.js'

export interface TestEngine {
  engine: Engine
  /** A pool on the engine's database (the embedded one in embedded mode), for assertions in SQL. */
  pool: pg.Pool
  redis: Redis
  tablePrefix: string
  queuePrefix: string
  /** Another engine on the same tables and queue (a second process, as far as the engine can tell). */
  sibling(overrides?: Partial<EngineConfig>): Engine
  /** Deletes every queued job of this engine from the queue backend, as a lost Redis would. */
  loseQueuedJobs(): Promise<number>
  close(): Promise<void>
}

/**
 * An engine on the real Postgres and Redis, isolated by its own table and queue prefix, with
 * tables migrated. `close()` stops every engine it made and drops the tables.
 */
export async function startTestEngine(overrides: Partial<EngineConfig> = {}, options: { start?: boolean } = {}): Promise<TestEngine> {
  const id = randomBytes(4).toString('hex')
  const tablePrefix = `t${id}_`
  const queuePrefix = `q${id}`
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true })
  const engines: Engine[] = []
  const common: EngineConfig = { tablePrefix, queuePrefix, concurrency: 10, reconcileIntervalMs: 1000, shutdownGraceMs: 2000 }

  // Embedded: the first engine owns an in-memory database; siblings reach it over its loopback
  // URL, as a second process would reach a Postgres server.
  let embeddedUrl: string | undefined
  let pool: pg.Pool
  if (MODE === 'embedded') {
    const first = createEngine({ ...common, dataDir: false, ...overrides })
    engines.push(first)
    embeddedUrl = (await first.info()).databaseUrl!
    pool = new pg.Pool({ connectionString: embeddedUrl, max: 4 })
  } else {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
  }
  const make = (extra: Partial<EngineConfig>) => {
    const config: EngineConfig =
      MODE === 'redis'
        ? { ...common, db: pool, redis, ...overrides, ...extra }
        : MODE === 'postgres'
          ? { ...common, db: pool, ...overrides, ...extra }
          : { ...common, db: pool, queueConnection: embeddedUrl, queuePollMs: 50, preparedStatements: false, ...overrides, ...extra }
    const e = createEngine(config)
    engines.push(e)
    return e
  }
  const engine = MODE === 'embedded' ? engines[0]! : make({})
  await engine.migrate()
  if (options.start !== false) await engine.start()
  return {
    engine,
    pool,
    redis,
    tablePrefix,
    queuePrefix,
    sibling: (extra = {}) => make(extra),
    async loseQueuedJobs() {
      if (MODE === 'redis') {
        const keys = await redis.keys(`${queuePrefix}:*`)
        if (keys.length > 0) await redis.del(...keys)
        return keys.length
      }
      const { rowCount } = await pool.query(`DELETE FROM bullmq.job WHERE queue LIKE $1`, [`${queuePrefix}-%`])
      return rowCount ?? 0
    },
    async close() {
      // The embedded engine owns the database, so it stops last.
      for (const e of [...engines].reverse()) await e.stop().catch(() => undefined)
      if (MODE !== 'embedded') {
        const tables = ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations', 'workers', 'signal_waits', 'signal_listeners', 'signal_deliveries', 'idempotency_keys', 'skipped_starts']
        await pool.query(tables.map((t) => `DROP TABLE IF EXISTS "${tablePrefix}${t}" CASCADE`).join(';'))
        if (MODE === 'postgres') await pool.query(`DELETE FROM bullmq.job WHERE queue LIKE $1`, [`${queuePrefix}-%`]).catch(() => undefined)
      }
      if (MODE === 'redis') {
        const keys = await redis.keys(`${queuePrefix}:*`)
        if (keys.length > 0) await redis.del(...keys)
      }
      await pool.end().catch(() => undefined)
      redis.disconnect()
    },
  }
}

const TERMINAL: WorkflowStatus[] = ['completed', 'failed', 'canceled']

/** Polls a run until its status is one of `statuses` (by default any terminal one). */
export async function waitForRun(
  engine: Engine,
  runId: string,
  statuses: WorkflowStatus[] = TERMINAL,
  timeoutMs = 15_000,
): Promise<WorkflowRun> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const run = await engine.getRun(runId)
    if (run && statuses.includes(run.status)) return run
    if (Date.now() > deadline) {
      throw new Error(`run ${runId} did not reach ${statuses.join('/')} within ${timeoutMs} ms; it is ${run?.status ?? 'missing'}`)
    }
    await sleep(25)
  }
}

/** Waits until `check` returns a value that is not undefined. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await sleep(25)
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
