import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createEngine, type Engine, type EngineConfig, type WorkflowRun, type WorkflowStatus } from '../../src/index.js'
import { DATABASE_URL, REDIS_URL } from './services.js'

export interface TestEngine {
  engine: Engine
  pool: pg.Pool
  redis: Redis
  tablePrefix: string
  queuePrefix: string
  /** Another engine on the same tables and queue (a second process, as far as the engine can tell). */
  sibling(overrides?: Partial<EngineConfig>): Engine
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
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
  const engines: Engine[] = []
  const make = (extra: Partial<EngineConfig>) => {
    const e = createEngine({
      db: pool,
      redis,
      tablePrefix,
      queuePrefix,
      concurrency: 10,
      reconcileIntervalMs: 1000,
      shutdownGraceMs: 2000,
      ...overrides,
      ...extra,
    })
    engines.push(e)
    return e
  }
  const engine = make({})
  await engine.migrate()
  if (options.start !== false) await engine.start()
  return {
    engine,
    pool,
    redis,
    tablePrefix,
    queuePrefix,
    sibling: (extra = {}) => make(extra),
    async close() {
      for (const e of engines) await e.stop().catch(() => undefined)
      const tables = ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations']
      await pool.query(tables.map((t) => `DROP TABLE IF EXISTS "${tablePrefix}${t}" CASCADE`).join(';'))
      const keys = await redis.keys(`${queuePrefix}:*`)
      if (keys.length > 0) await redis.del(...keys)
      await pool.end()
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
