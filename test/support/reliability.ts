import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import type { Redis } from 'ioredis'
import pg from 'pg'
import { createEngine, type Engine, type WorkflowStep } from '../../src/index.js'
import { DATABASE_URL } from './services.js'
import type { ChildEngine } from './child-engine.js'
import { sleep } from './ports.js'
import { startThrowawayRedis, type ThrowawayRedis } from './throwaway-redis.js'

/**
 * The parent side of a multi-process reliability test: a pool on the shared (or a throwaway)
 * Postgres, a prefix of its own, and an engine that is never started, for emitting and reading.
 */
export interface ReliabilityHarness {
  pool: pg.Pool
  engine: Engine
  tablePrefix: string
  queuePrefix: string
  table(name: string): string
  /** Creates one enabled workflow on trigger `load.tick` for tenant `t1`. */
  workflow(steps: WorkflowStep[], resourceType?: string): Promise<void>
  /** Emits `count` signals (in batches) and returns the ids of the runs they started. */
  emitMany(count: number, resourceType?: string): Promise<string[]>
  /** Waits until no run is pending, running or waiting; throws with the counts on timeout. */
  waitQuiet(timeoutMs: number): Promise<Record<string, number>>
  statusCounts(): Promise<Record<string, number>>
  close(): Promise<void>
}

export async function startHarness(options: { databaseUrl?: string; redis?: Redis } = {}): Promise<ReliabilityHarness> {
  const id = randomBytes(4).toString('hex')
  const tablePrefix = `rel${id}_`
  const queuePrefix = `rel${id}`
  const pool = new pg.Pool({ connectionString: options.databaseUrl ?? DATABASE_URL, max: 10 })
  pool.on('error', () => undefined)
  const engine = createEngine({
    db: pool,
    ...(options.redis ? { redis: options.redis } : {}),
    tablePrefix,
    queuePrefix,
    allowUnregisteredTriggers: true,
    redisPolicyCheck: 'off',
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  })
  await engine.migrate()
  const table = (name: string) => `"${tablePrefix}${name}"`
  const statusCounts = async () => {
    const { rows } = await pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM ${table('workflow_runs')} GROUP BY status`)
    return Object.fromEntries(rows.map((r) => [r.status, r.n]))
  }
  let n = 0
  return {
    pool,
    engine,
    tablePrefix,
    queuePrefix,
    table,
    async workflow(steps, resourceType) {
      n += 1
      await engine.createWorkflow({ tenantId: 't1', name: `wf${n}`, triggerType: 'load.tick', resourceTypeFilter: resourceType, steps, config: {}, isEnabled: true })
    },
    async emitMany(count, resourceType) {
      const runIds: string[] = []
      for (let i = 0; i < count; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, count - i) }, () => engine.emit({ tenantId: 't1', type: 'load.tick', source: 'test', resourceType })),
        )
        const { rows } = await pool.query<{ id: string }>(`SELECT id FROM ${table('workflow_runs')} WHERE trigger_id = ANY($1::text[])`, [batch.map((b) => b.id)])
        runIds.push(...rows.map((r) => r.id))
      }
      return runIds
    },
    statusCounts,
    async waitQuiet(timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const counts = await statusCounts().catch(() => ({}) as Record<string, number>)
        const active = (counts.pending ?? 0) + (counts.running ?? 0) + (counts.waiting ?? 0)
        if (active === 0 && Object.keys(counts).length > 0) return counts
        if (Date.now() > deadline) throw new Error(`runs still active after ${timeoutMs} ms: ${JSON.stringify(counts)}`)
        await sleep(200)
      }
    },
    async close() {
      await engine.stop().catch(() => undefined)
      const tables = ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations', 'workers', 'idempotency_keys', 'executions', 'hooks']
      await pool.query(tables.map((t) => `DROP TABLE IF EXISTS ${table(t)} CASCADE`).join(';')).catch(() => undefined)
      await pool.end().catch(() => undefined)
    },
  }
}

/** A throwaway Redis, a harness on it, and the child engines a test starts (killed at the end). */
export interface WorkerWorld {
  redis: ThrowawayRedis
  h: ReliabilityHarness
  children: ChildEngine[]
}

/**
 * Registers the beforeAll/afterAll of a multi-process test and returns the world they fill in:
 * read its fields inside tests, not at describe time.
 */
export function useWorkerWorld(): WorkerWorld {
  const world = { children: [] as ChildEngine[] } as WorkerWorld
  beforeAll(async () => {
    world.redis = await startThrowawayRedis()
    world.h = await startHarness({ redis: world.redis.client() })
  })
  afterAll(async () => {
    for (const c of world.children) {
      // A child frozen with SIGSTOP must be woken before it can be killed cleanly.
      c.kill('SIGCONT')
      c.kill('SIGKILL')
    }
    await world.h?.close()
    await world.redis?.stop()
  })
  return world
}
