import type { z } from 'zod'
import { collectRegistrations, type AnyWorkflow } from '../dsl/index.js'
import { PulseValidationError } from '../errors.js'
import { createCronQueue, createStepQueue, type CronQueue, type StepQueue } from '../queue/index.js'
import { readRedisPolicy } from '../queue/redis-policy.js'
import { fireTick, restoreSchedules } from '../runtime/cron.js'
import { createFairShares } from '../runtime/fair-share.js'
import { createFlowAdmission } from '../runtime/flow-admission.js'
import { deliverSignal } from '../runtime/deliver-signal.js'
import { emitSignal, type EmitOptions } from '../runtime/emit-signal.js'
import { createExecutor } from '../runtime/executor.js'
import { createHookFirer } from '../runtime/hooks.js'
import { startLiveness, type Liveness } from '../runtime/liveness.js'
import { startReconciler } from '../runtime/reconciler.js'
import { cancelRun } from '../runtime/run-control.js'
import { isEnded, STATUS_MOVES } from '../runtime/run-state.js'
import { Registry } from '../runtime/registry.js'
import { startScheduleKeeper } from '../runtime/schedule-keeper.js'
import { verifyConsistency } from '../runtime/verify.js'
import { createStore, LATEST_SCHEMA_VERSION, newId } from '../store/index.js'
import { createTelemetry } from '../telemetry/index.js'
import type { TriggerInput } from '../types.js'
import { resolveConfig, type EngineConfig } from './config.js'
import { connect } from './connect.js'
import { lendReadAccess } from './read-access.js'
import { guardDatabase, withDatabase } from './database-errors.js'
import type { Engine } from './engine.js'
import { watchPoolErrors } from './pool-errors.js'
import { assertSchema, checkHandlers, checkRedisPolicy } from './start-checks.js'
import { tenantProblem } from './tenant-problem.js'
import { tenantOperations } from './tenant-operations.js'
import type { EngineInternals, EngineSeams } from './seams.js'
import { scopeToTenant } from './tenant-scope.js'

/**
 * Creates an engine on the application's Postgres pool and Redis client. Nothing connects until
 * the first call that needs it; call `migrate()` once, then `start()` in each worker process.
 *
 * @example
 * ```ts
 * const engine = createEngine({ db: pool, redis })
 * engine.register(incident)
 * await engine.migrate()
 * await engine.start()
 * ```
 */
export function createEngine(config: EngineConfig = {}): Engine {
  return createEngineWith(config, {}).engine
}

/** createEngine with some of its parts given (see EngineSeams); the testing kit's way in. */
export function createEngineWith(config: EngineConfig, seams: EngineSeams): { engine: Engine; internals: EngineInternals } {
  const cfg = resolveConfig(config)
  const { pool, backend, closeDatabase, embeddedInfo } = connect(cfg, seams)
  // Names this engine's step claims, so others can take them over if it dies (see liveness.ts).
  const workerId = newId('wkr')
  const store = createStore(pool, cfg.tablePrefix, cfg.schema, {
    statusMoves: STATUS_MOVES,
    preparedStatements: cfg.preparedStatements,
    serialDatabase: cfg.mode.kind === 'embedded',
    delayScale: cfg.delayScale,
    workerId,
  })
  const registry = new Registry()
  const telemetry = createTelemetry(cfg.telemetry, { mode: cfg.mode.kind, tablePrefix: cfg.tablePrefix })
  const hooks = createHookFirer({ onStepComplete: cfg.onStepComplete, onRunComplete: cfg.onRunComplete }, cfg.logger)
  const ownQueue: StepQueue = createStepQueue({ backend, queuePrefix: cfg.queuePrefix })
  const queue = seams.stepQueue ? seams.stepQueue(ownQueue) : ownQueue
  const cron: CronQueue = seams.cron ?? createCronQueue({ backend, queuePrefix: cfg.queuePrefix })
  const clock = seams.clock
  const deliver = (signalId: string) =>
    deliverSignal({ store, queue, logger: cfg.logger, cancel: (runId, reason) => cancelRun(executor, runId, reason) }, signalId)
  const flow = createFlowAdmission({ store, queue, logger: cfg.logger, cancel: (runId, reason) => cancelRun(executor, runId, reason) })
  const emitDeps = {
    flow,
    store,
    queue,
    registry,
    logger: cfg.logger,
    allowUnregisteredTriggers: cfg.allowUnregisteredTriggers,
    maxPayloadBytes: cfg.maxPayloadBytes,
    idempotencyWindowMs: cfg.idempotencyWindowMs,
    // A started engine runs the first steps of the runs it emits itself, while it has room.
    local: () => (started ? executor.localStart() : undefined),
    deliver,
    fairShares: cfg.fairShares
      ? createFairShares({
          weights: cfg.tenantWeights,
          burst: cfg.concurrency,
          front: () => queue.front(),
          onError: (err) => cfg.logger.warn({ err }, 'pulse-engine: could not read the front of the queue for fair shares; tenants keep their order until it can'),
        })
      : undefined,
    telemetry,
  }
  watchPoolErrors(cfg)

  const emit = (input: TriggerInput, options?: EmitOptions) => emitSignal(emitDeps, input, options)
  const executor = createExecutor({
    store,
    queue,
    registry,
    hooks,
    logger: cfg.logger,
    leaseMs: cfg.leaseMs,
    concurrency: cfg.concurrency,
    maxOutputBytes: cfg.maxOutputBytes,
    emit,
    ...(clock ? { now: () => new Date(clock()) } : {}),
    onRunEnded: (run) => {
      if (run.flowGroup && isEnded(run.status)) flow.ended(run)
    },
    telemetry,
  })
  const cronDeps = { flow, store, queue, cron, registry, deliver, logger: cfg.logger, misfire: cfg.cronMisfire, misfireGraceMs: cfg.cronMisfireGraceMs, telemetry, now: clock }
  let reconciler: ReturnType<typeof startReconciler> | undefined
  let liveness: Liveness | undefined
  let scheduleKeeper: ReturnType<typeof startScheduleKeeper> | undefined
  let started = false

  const registerWorkflow = (wf: AnyWorkflow) => {
    const { trigger, actions, conditions, signalTriggers } = collectRegistrations(wf)
    for (const t of [trigger, ...signalTriggers]) {
      // trigger() only accepts schemas with safeParse (zod 4 classic); its type names zod's core
      // schema type because that is cheap for the compiler, not because other schemas get through.
      const payloadSchema = t.payload as z.ZodType | undefined
      registry.registerTrigger(t.type, { source: t.source, resourceType: t.resourceType, payloadSchema })
    }
    for (const a of actions) registry.registerAction(a.name, a.handler, a.options)
    for (const c of conditions) registry.registerCondition(c.name, c.handler)
  }

  const operations = (tenantId?: string) => tenantOperations({ store, registry, cron, executor, starts: emitDeps, allowUnregisteredTriggers: cfg.allowUnregisteredTriggers, now: clock ?? Date.now }, tenantId)

  const unscoped = guardDatabase(operations())

  const engine: Engine = {
    async info() {
      return {
        mode: cfg.mode.kind,
        tablePrefix: cfg.tablePrefix,
        queuePrefix: cfg.queuePrefix,
        ...(embeddedInfo ? await embeddedInfo() : {}),
      }
    },
    registerTrigger: (type, registration) => registry.registerTrigger(type, registration),
    registerAction: (name, handler, options) => registry.registerAction(name, handler, options),
    registerCondition: (name, handler) => registry.registerCondition(name, handler),
    register(...workflows) {
      for (const wf of workflows) registerWorkflow(wf)
    },

    async migrate() {
      await withDatabase('migrate()', () => store.migrate())
    },

    async start() {
      if (started) return
      await withDatabase('start()', async () => {
        await assertSchema(store, cfg)
        await checkHandlers(store, registry, cfg)
      })
      await checkRedisPolicy(cfg)
      // Steps run only in a started engine, so from here on the optional API has been looked for.
      if (telemetry.loading) await telemetry.loading
      telemetry.observeWaiting(() => store.steps.countWaiting())
      executor.resume()
      // Before the first claim: claims of an engine without a row could not be taken over.
      liveness ??= await withDatabase('start()', () =>
        startLiveness({ store, queue, logger: cfg.logger, workerId, timeoutMs: cfg.workerTimeoutMs }),
      )
      // A job a dead worker took but had not claimed yet is invisible to the takeover above (no
      // claim to void) and to the reconciler (its job id is still taken): only BullMQ's own lock
      // frees it, so that lock expires on the same clock as the liveness row.
      await queue.startWorker((job) => executor.processJob(job), cfg.concurrency, { lockMs: cfg.workerTimeoutMs })
      await withDatabase('start()', () => restoreSchedules(store, cron))
      await cron.startWorker((tick) => fireTick(cronDeps, tick))
      reconciler = startReconciler({
        store,
        queue,
        deliver,
        admit: (tenantId, group) => flow.admitGroup(tenantId, group),
        idempotencyWindowMs: cfg.idempotencyWindowMs,
        logger: cfg.logger,
        intervalMs: cfg.reconcileIntervalMs,
        graceMs: Math.min(5_000, cfg.reconcileIntervalMs),
      })
      scheduleKeeper = startScheduleKeeper({ store, cron, logger: cfg.logger, intervalMs: cfg.reconcileIntervalMs })
      started = true
    },

    async stop() {
      telemetry.observeWaiting(undefined)
      reconciler?.stop()
      reconciler = undefined
      scheduleKeeper?.stop()
      scheduleKeeper = undefined
      if (started) {
        started = false
        executor.beginShutdown()
        await cron.stopWorker()
        const drained = Promise.all([queue.stopWorker(false), executor.localIdle()]).then(() => true)
        const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), cfg.shutdownGraceMs).unref())
        if (!(await Promise.race([drained, timedOut]))) {
          await executor.releaseAll()
          await queue.stopWorker(true)
          // Aborted steps move on at once, but the handler functions themselves may still be
          // cleaning up (closing a file, writing a last row); give them and the local chains a
          // moment before the pools close under them.
          const unwound = Promise.all([executor.localIdle(), executor.handlersReturned()])
          await Promise.race([unwound, new Promise((resolve) => setTimeout(resolve, 1000).unref())])
        }
      }
      await liveness?.stop()
      liveness = undefined
      await cron.close()
      await queue.close()
      await closeDatabase()
    },

    ...unscoped,
    createWorkflow: (input) => unscoped.createWorkflow(input),
    sync: (options) => unscoped.sync(options),
    getFailedRuns: (tenantId) => (tenantId === undefined ? unscoped.getFailedRuns() : guardDatabase(operations(tenantId)).getFailedRuns()),
    verify: (options = {}) => withDatabase('verify()', () => verifyConsistency(store, options)),
    async health() {
      const version = await withDatabase('health()', () => store.schemaVersion())
      return {
        mode: cfg.mode.kind,
        schema: { version, latest: LATEST_SCHEMA_VERSION, upToDate: version === LATEST_SCHEMA_VERSION },
        ...(cfg.mode.kind === 'redis' ? { redisPolicy: await readRedisPolicy(cfg.mode.redis) } : {}),
      }
    },

    emit(...args: unknown[]) {
      const [first, second] = args as [Record<string, unknown>, Record<string, unknown> | undefined]
      const input = second !== undefined && first && first.kind === 'trigger' ? { ...second, type: first.type, source: first.source } : first
      return withDatabase('emit()', () => emit(input as unknown as TriggerInput))
    },

    forTenant(tenantId) {
      const problem = tenantProblem(tenantId)
      if (problem) throw new PulseValidationError('forTenant()', [{ path: ['tenantId'], message: problem }])
      return scopeToTenant(tenantId, guardDatabase(operations(tenantId)), (input) => withDatabase('emit()', () => emit(input)))
    },
  }
  return { engine: lendReadAccess(engine, { pool: store.pool, tables: store.tables, mode: cfg.mode.kind }), internals: { store, queue, registry } }
}


