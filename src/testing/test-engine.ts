import type { AnyWorkflow } from '../dsl/index.js'
import { readDuration, type DurationInput } from '../dsl/duration.js'
import { createEngineWith } from '../engine/create-engine.js'
import type { Engine, EngineConfig, TenantEngine } from '../engine/index.js'
import { PulseError, PulseStateError, PulseValidationError } from '../errors.js'
import { probeWork, setVirtualTime } from '../store/index.js'
import type { JsonObject } from '../types.js'
import { takeTestDatabase } from './database-pool.js'
import { holdDelayedJobs } from './held-queue.js'
import { createHandlerOverrides, type HandlerRef, type MockHandler } from './handler-overrides.js'
import { runReport, type RunReport } from './run-report.js'
import { silentLogger } from './template-database.js'
import { createVirtualCron } from './virtual-cron.js'

/** Options of {@link createTestEngine}. */
export interface TestEngineOptions {
  /** Registered with the engine and synced for `tenantId` before the engine starts. */
  workflows?: AnyWorkflow[]
  /** The tenant `t.emit` and the sync use. Default `'test-tenant'`. */
  tenantId?: string
  /** Per-workflow config overrides for the sync, keyed by workflow key (as in `engine.sync`). */
  config?: Record<string, JsonObject>
  /**
   * Where the virtual clock starts. Default: the real time when the engine is created. The clock
   * stands still until `advance()` moves it.
   */
  now?: Date | string | number
  /** How long `runUntilIdle` and `advance` wait for handlers before failing. Default 10 s (real time). */
  idleTimeoutMs?: number
  /** Engine options passed through (`concurrency`, `onRunComplete`, `logger`, `maxPayloadBytes`, ...). */
  engine?: Omit<EngineConfig, 'db' | 'redis' | 'dataDir' | 'schema' | 'queueSchema' | 'queueConnection' | 'queuePollMs' | 'tablePrefix' | 'queuePrefix' | 'delayScale'>
}

/** A real engine on a copy of a migrated in-memory database, on a clock the test moves. See {@link createTestEngine}. */
export interface TestEngine {
  /** The engine itself, for anything the kit does not wrap (`cancelRun`, `replay`, `retryRun`, `listRuns`, ...). */
  readonly engine: Engine
  readonly tenantId: string
  /** The virtual time: what `ctx.now()` returns in handlers and what the engine's SQL sees as `now()`. */
  now(): Date
  /**
   * Moves the clock forward by `duration` (`'3d'`, `'1h30m'`, or milliseconds): every delay,
   * wait timeout, retry backoff and cron tick that falls due in the span fires in time order,
   * each with the clock set to its due time, and the call resolves once nothing is left to do.
   */
  advance(duration: DurationInput): Promise<void>
  /** Resolves once no step is due or running at the current virtual time. */
  runUntilIdle(): Promise<void>
  /**
   * `engine.emit` for the test's tenant (the `tenantId` may be left out), then {@link runUntilIdle}:
   * the runs it started have gone as far as they can without the clock moving.
   */
  emit: TenantEngine['emit']
  /** The run, its steps, timeline and logs. */
  run(runId: string): Promise<RunReport>
  /**
   * Replaces the handler of an action or condition for this engine: steps of that name call
   * `impl` instead, with the same `ctx`. A mock that throws or returns `{ success: false }` fails
   * the attempt as the real handler would (retries included). A name no workflow uses is an error.
   */
  mock(handler: HandlerRef, impl: MockHandler): void
  /**
   * The next `times` calls of that handler (default 1) throw `error` (default an Error naming the
   * handler) before it runs; later calls reach the handler (or its mock) again.
   */
  failNext(handler: HandlerRef, times?: number, error?: Error | string): void
  /** Stops the engine; its database is emptied and kept for the next test engine. */
  stop(): Promise<void>
}

const DEFAULT_TENANT = 'test-tenant'
let engines = 0

/**
 * Creates an engine for a test: the real engine, same SQL and state machine, on an in-memory
 * copy of a database migrated once per process, with a virtual clock. Nothing waits in real
 * time: `advance('3d')` fires the delays, wait timeouts, retry backoffs and cron ticks of three
 * days in order, in milliseconds.
 *
 * @example
 * ```ts
 * import { createTestEngine, assertRunStatus } from 'pulse-engine/testing'
 *
 * const t = await createTestEngine({ workflows: [trialExpiration] })
 * const { runs } = await t.emit(trialExpiring, { payload: { email: 'ada@example.com', plan: 'trial' } })
 * await t.advance('3d')
 * assertRunStatus(await t.run(runs[0]!.runId), 'completed')
 * await t.stop()
 * ```
 */
export async function createTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  const start = options.now === undefined ? Date.now() : new Date(options.now).getTime()
  if (!Number.isFinite(start)) {
    throw new PulseValidationError('createTestEngine()', [{ path: ['now'], message: `${JSON.stringify(options.now)} is not a date` }])
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? 10_000
  const tenantId = options.tenantId ?? DEFAULT_TENANT
  // The clock stands still between moves: work done at one instant takes no virtual time.
  let current = start
  const clock = () => current
  const cron = createVirtualCron(clock)
  const tables = { schema: 'public', prefix: 'pulse_' }
  const database = await takeTestDatabase(tables)
  // Its own queue names, so jobs a previous engine left in a reused database reach nobody.
  engines += 1
  const queuePrefix = `pulse-test-${process.pid}-${engines}`
  const { engine, internals } = createEngineWith(
    { logger: silentLogger, ...options.engine, dataDir: false, queuePrefix },
    // Workers poll often: a promoted job should start at once, and a test's database is otherwise idle.
    { clock, openDatabase: async () => database, pollMs: 20, cron, stepQueue: holdDelayedJobs },
  )
  const { store, queue } = internals
  const overrides = createHandlerOverrides(internals.registry)
  const tenant = engine.forTenant(tenantId)
  let stopped = false

  try {
    await setVirtualTime(store.pool, new Date(current))
    if (options.workflows?.length) {
      engine.register(...options.workflows)
      await tenant.sync({ workflows: options.workflows, ...(options.config ? { config: options.config } : {}) })
    }
    await engine.start()
  } catch (err) {
    await engine.stop().catch(() => undefined)
    throw err
  }

  const open = (method: string) => {
    if (stopped) throw new PulseStateError(`${method}: this test engine was stopped; create another with createTestEngine()`)
  }

  /** Moves the clock to `at`, never back. */
  const moveTo = async (at: number) => {
    if (at <= current) return
    current = at
    await setVirtualTime(store.pool, new Date(current))
  }

  /** Resolves, once nothing is due or running, with when the next scheduled step falls due. */
  const runUntilIdle = async (): Promise<number | undefined> => {
    const deadline = Date.now() + idleTimeoutMs
    let lastBusy = 0
    const promotedAt = new Map<string, number>()
    for (;;) {
      const fired = await cron.fireDue(clock())
      const probe = await probeWork(store.pool, store.tables)
      // A due step's held job is promoted; again only if it is still due a while later (its job
      // went missing, say), not on every poll while a worker picks it up.
      const toPromote = probe.due.filter((d) => Date.now() - (promotedAt.get(`${d.stepRunId}-${d.fence}`) ?? 0) > 250)
      for (const d of toPromote) promotedAt.set(`${d.stepRunId}-${d.fence}`, Date.now())
      if (toPromote.length > 0) await queue.promote(toPromote)
      lastBusy = probe.busy + probe.due.length
      // Every transition commits a step's outcome and its successor together, so one look at the
      // tables that finds nothing to do is enough, once the queue is empty too: a job added due
      // now for a step whose time has not come (its delay was reckoned from the real clock) must
      // reach its claim, which schedules it again.
      if (fired === 0 && lastBusy === 0) {
        lastBusy = await queue.countUnfinished()
        if (lastBusy === 0) return probe.nextDueAt?.getTime()
      }
      if (Date.now() > deadline) {
        throw new PulseError(
          'TEST_ENGINE_BUSY',
          `runUntilIdle(): ${lastBusy} step(s) still running or due after ${idleTimeoutMs} ms of real time; ` +
            'is a handler hanging or waiting on the real clock? (raise idleTimeoutMs for slow handlers)',
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }

  const t: TestEngine = {
    engine,
    tenantId,
    now: () => new Date(clock()),
    async advance(duration) {
      open('advance()')
      const reading = readDuration(duration)
      if (!reading.ok) throw new PulseValidationError('advance()', [{ path: ['duration'], message: reading.message }])
      const target = clock() + reading.ms
      let nextStep = await runUntilIdle()
      for (;;) {
        const candidates = [nextStep, cron.nextTickAt()].filter((x): x is number => x !== undefined)
        const next = candidates.length > 0 ? Math.min(...candidates) : undefined
        if (next === undefined || next > target) break
        await moveTo(next)
        nextStep = await runUntilIdle()
      }
      await moveTo(target)
      await runUntilIdle()
    },
    async runUntilIdle() {
      open('runUntilIdle()')
      await runUntilIdle()
    },
    emit: (async (...args: unknown[]) => {
      open('emit()')
      const result = await (tenant.emit as (...a: unknown[]) => ReturnType<TenantEngine['emit']>)(...args)
      await runUntilIdle()
      return result
    }) as TenantEngine['emit'],
    async run(runId) {
      open('run()')
      const run = await engine.getRun(runId)
      if (!run) throw new PulseError('NOT_FOUND', `run(): there is no run "${runId}" in this test engine`)
      const [steps, timeline, logs] = await Promise.all([engine.getRunSteps(runId), engine.getRunTimeline(runId), engine.getRunLogs(runId)])
      return runReport(run, steps, timeline, logs)
    },
    mock(handler, impl) {
      open('mock()')
      overrides.mock(handler, impl)
    },
    failNext(handler, times = 1, error) {
      open('failNext()')
      overrides.failNext(handler, times, error)
    },
    async stop() {
      if (stopped) return
      stopped = true
      overrides.restore()
      await engine.stop()
    },
  }
  return t
}
