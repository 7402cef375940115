/**
 * A worker process for the reliability tests: an engine on the given Postgres (and Redis, when
 * PULSE_REDIS_URL is set) that records every handler execution and every run-complete hook in
 * tables of its own, so the parent test can count them after this process was killed.
 *
 * Config comes from PULSE_WORKER (JSON, see WorkerConfig). Prints one JSON line per event on
 * stdout ({"event":"ready"}, {"event":"stopped"}); reads "stop" on stdin for a graceful stop.
 *
 * Handlers, by step name:
 *   work_*   sleeps `stepMs` (jittered), records the execution, returns { pid }
 *   flaky_*  fails its first attempt, then behaves like work_*
 *   fail_*   always fails
 *   hang_*   waits until ctx.signal aborts, records the abort time, then fails
 *   emit_*   emits a `chain.next` signal with ctx.emit (a payload of this execution's own), records
 *            `emitted:<signal id>`, then waits like hang_* (so a test can kill it before the step
 *            is recorded)
 */
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createEngine, type HandlerContext } from '../../src/index.js'

export interface WorkerConfig {
  databaseUrl: string
  redisUrl?: string
  tablePrefix: string
  queuePrefix: string
  concurrency?: number
  leaseMs?: number
  reconcileIntervalMs?: number
  workerTimeoutMs?: number
  shutdownGraceMs?: number
  /** Without redisUrl: where BullMQ's Postgres backend connects (default: databaseUrl's settings). */
  queueConnection?: string
  queuePollMs?: number
  preparedStatements?: boolean
  stepMs?: number
  /** hang_* handlers wait for their abort signal (default); false makes them finish at once. */
  hang?: boolean
  /** Register an OpenTelemetry SDK that prints each span as it ends: {"event":"span","span":{...}}. */
  telemetry?: boolean
}

const cfg = JSON.parse(process.env.PULSE_WORKER ?? '{}') as WorkerConfig
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`)

if (cfg.telemetry) {
  const { installTelemetry } = await import('./telemetry.js')
  installTelemetry({ onSpan: (span) => say({ event: 'span', span }) })
}

const pool = new pg.Pool({ connectionString: cfg.databaseUrl, max: 20 })
const redis = cfg.redisUrl ? new Redis(cfg.redisUrl, { maxRetriesPerRequest: null }) : undefined
redis?.on('error', () => undefined)
const executions = `"${cfg.tablePrefix}executions"`
const hooks = `"${cfg.tablePrefix}hooks"`

const engine = createEngine({
  db: pool,
  ...(redis ? { redis } : {}),
  tablePrefix: cfg.tablePrefix,
  queuePrefix: cfg.queuePrefix,
  concurrency: cfg.concurrency ?? 20,
  leaseMs: cfg.leaseMs ?? 2000,
  reconcileIntervalMs: cfg.reconcileIntervalMs ?? 500,
  ...(cfg.workerTimeoutMs ? { workerTimeoutMs: cfg.workerTimeoutMs } : {}),
  ...(cfg.queueConnection ? { queueConnection: cfg.queueConnection } : {}),
  ...(cfg.queuePollMs ? { queuePollMs: cfg.queuePollMs } : {}),
  ...(cfg.preparedStatements === false ? { preparedStatements: false } : {}),
  shutdownGraceMs: cfg.shutdownGraceMs ?? 1000,
  allowUnregisteredTriggers: true,
  redisPolicyCheck: 'off',
  logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  async onRunComplete({ run, status }) {
    await pool.query(`INSERT INTO ${hooks} (run_id, status, pid) VALUES ($1, $2, $3)`, [run.id, status, process.pid])
  },
})

const record = (ctx: HandlerContext, outcome: string) =>
  pool.query(`INSERT INTO ${executions} (run_id, step_run_id, step_name, attempt, pid, outcome) VALUES ($1, $2, $3, $4, $5, $6)`, [
    ctx.run.id,
    ctx.step.id,
    ctx.step.stepName,
    ctx.step.attempt,
    process.pid,
    outcome,
  ])

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })

const names = (process.env.PULSE_WORKER_ACTIONS ?? 'work_1,work_2,work_3,work_4,work_5').split(',')
for (const name of names) {
  engine.registerAction(name, async (ctx) => {
    await record(ctx, 'started')
    if (name.startsWith('emit_')) {
      const emitted = await ctx.emit({ tenantId: ctx.tenantId, type: 'chain.next', source: 'test', payload: { pid: process.pid, at: Date.now() } })
      await record(ctx, `emitted:${emitted.id}`)
    }
    if ((name.startsWith('hang_') || name.startsWith('emit_')) && cfg.hang !== false) {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
      await record(ctx, 'aborted')
      return { success: false, error: 'aborted' }
    }
    const ms = cfg.stepMs ?? 0
    if (ms > 0) await pause(ms / 2 + Math.random() * ms, ctx.signal)
    if (name.startsWith('fail_')) return { success: false, error: 'always fails' }
    if (name.startsWith('flaky_') && ctx.step.attempt === 1) throw new Error('first attempt fails')
    await record(ctx, 'finished')
    return { success: true, data: { pid: process.pid } }
  })
}
engine.registerCondition('cond_true', () => true)
engine.registerCondition('cond_false', () => false)

await pool.query(`CREATE TABLE IF NOT EXISTS ${executions} (run_id text, step_run_id text, step_name text, attempt int, pid int, outcome text, at timestamptz DEFAULT clock_timestamp())`)
await pool.query(`CREATE TABLE IF NOT EXISTS ${hooks} (run_id text, status text, pid int, at timestamptz DEFAULT clock_timestamp())`)
await engine.migrate()
await engine.start()
say({ event: 'ready', pid: process.pid })

let stopping = false
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line.trim() !== 'stop' || stopping) return
  stopping = true
  const began = Date.now()
  say({ event: 'stopping', at: began })
  void engine.stop().then(async () => {
    say({ event: 'stopped', ms: Date.now() - began })
    lines.close()
    process.stdin.destroy()
    redis?.disconnect()
    await pool.end()
    // No process.exit(): the shutdown test checks that nothing keeps the process alive.
  })
})
