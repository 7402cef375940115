import { resolve } from 'node:path'
import type { z } from 'zod'
import { definitionHash, validateSpec } from '../definition/index.js'
import { collectRegistrations, configIssues, type AnyWorkflow } from '../dsl/index.js'
import { PulseConfigError, PulseError, PulseNotFoundError, PulseValidationError } from '../errors.js'
import type { ValidationIssue } from '../errors.js'
import type { EmbeddedDatabase } from '../embedded/embedded-database.js'
import { lazyPool } from '../embedded/lazy-pool.js'
import { createCronQueue, createStepQueue, type BackendSource, type CronQueue, type StepQueue } from '../queue/index.js'
import { applySchedule, fireTick, restoreSchedules } from '../runtime/cron.js'
import { emitSignal } from '../runtime/emit-signal.js'
import { createExecutor, jobFor } from '../runtime/executor.js'
import { describeMissing, handlersIn, missingHandlers, missingMessage } from '../runtime/handler-check.js'
import { createHookFirer } from '../runtime/hooks.js'
import { stringProblem } from '../runtime/json-limits.js'
import { startReconciler } from '../runtime/reconciler.js'
import { startScheduleKeeper } from '../runtime/schedule-keeper.js'
import { verifyConsistency } from '../runtime/verify.js'
import { readRedisPolicy } from '../queue/redis-policy.js'
import { Registry } from '../runtime/registry.js'
import { cancelRun, retryRun } from '../runtime/run-control.js'
import { syncTenant } from '../runtime/sync.js'
import { buildTimeline } from '../runtime/timeline.js'
import { createStore, LATEST_SCHEMA_VERSION, publicRun, publicStep, type PoolLike } from '../store/index.js'
import type { TriggerInput, WorkflowDefinition, WorkflowSpec } from '../types.js'
import { resolveConfig, type EngineConfig, type ResolvedConfig } from './config.js'
import { guardDatabase, withDatabase } from './database-errors.js'
import type { Engine, EngineInfo, ListRunsFilter, ListSignalsFilter, ListWorkflowsFilter, TenantEngine } from './engine.js'
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
  const cfg = resolveConfig(config)
  const { pool, backend, closeDatabase, embeddedInfo } = connect(cfg)
  const store = createStore(pool, cfg.tablePrefix, cfg.schema, { preparedStatements: cfg.preparedStatements, delayScale: cfg.delayScale })
  const registry = new Registry()
  const hooks = createHookFirer({ onStepComplete: cfg.onStepComplete, onRunComplete: cfg.onRunComplete }, cfg.logger)
  const queue: StepQueue = createStepQueue({ backend, queuePrefix: cfg.queuePrefix })
  const cron: CronQueue = createCronQueue({ backend, queuePrefix: cfg.queuePrefix })
  const emitDeps = {
    store,
    queue,
    registry,
    logger: cfg.logger,
    allowUnregisteredTriggers: cfg.allowUnregisteredTriggers,
    maxPayloadBytes: cfg.maxPayloadBytes,
    // A started engine runs the first steps of the runs it emits itself, while it has room.
    local: () => (started ? executor.localStart() : undefined),
  }
  watchPoolErrors(cfg)

  const emit = async (input: TriggerInput) => (await emitSignal(emitDeps, input))!.trigger
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
  })
  const cronDeps = { store, queue, cron, registry, logger: cfg.logger, misfire: cfg.cronMisfire, misfireGraceMs: cfg.cronMisfireGraceMs }
  let reconciler: ReturnType<typeof startReconciler> | undefined
  let scheduleKeeper: ReturnType<typeof startScheduleKeeper> | undefined
  let started = false

  const registerWorkflow = (wf: AnyWorkflow) => {
    const { trigger, actions, conditions } = collectRegistrations(wf)
    // trigger() only accepts schemas with safeParse (zod 4 classic); its type names zod's core
    // schema type because that is cheap for the compiler, not because other schemas get through.
    const payloadSchema = trigger.payload as z.ZodType | undefined
    registry.registerTrigger(trigger.type, { source: trigger.source, resourceType: trigger.resourceType, payloadSchema })
    for (const a of actions) registry.registerAction(a.name, a.handler, a.options)
    for (const c of conditions) registry.registerCondition(c.name, c.handler)
  }

  const setEnabled = async (definitionId: string, enabled: boolean, tenantId?: string) => {
    const def = await store.definitions.setEnabled(definitionId, enabled, tenantId)
    if (!def) throw new PulseNotFoundError('workflow definition', definitionId)
    if (def.cronExpression) await applySchedule(cron, def)
  }

  /**
   * Every read and operation, scoped to `tenantId` when one is given: the store filters on it,
   * so another tenant's ids look exactly like ids that do not exist.
   */
  const operations = (tenantId?: string): Omit<TenantEngine, 'tenantId' | 'emit'> => ({
    async createWorkflow(input) {
      const { tenantId: given, ...spec } = input
      const owner = tenantId ?? given
      const problem = tenantProblem(owner)
      if (problem) throw new PulseValidationError('workflow definition', [{ path: ['tenantId'], message: problem }])
      const clean = validateSpec(spec, { keyOptional: true })
      let def: WorkflowDefinition
      try {
        def = await store.definitions.insert({ ...clean, tenantId: owner!, hash: definitionHash(clean) })
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          throw new PulseError('CONFLICT', `tenant "${owner}" already has a workflow with key "${clean.key}"; use engine.sync() to update it`, { cause: err })
        }
        throw err
      }
      if (def.cronExpression) await applySchedule(cron, def)
      return def
    },
    enableWorkflow: (definitionId) => setEnabled(definitionId, true, tenantId),
    disableWorkflow: (definitionId) => setEnabled(definitionId, false, tenantId),

    async sync(options) {
      const owner = tenantId ?? options.tenantId
      const problem = tenantProblem(owner)
      if (problem) throw new PulseValidationError('sync', [{ path: ['tenantId'], message: problem }])
      const specs: WorkflowSpec[] = []
      const carried = new Set<string>()
      const configIssuesFound: ValidationIssue[] = []
      for (const wf of options.workflows) {
        if (isWorkflow(wf)) {
          const spec = wf.compile()
          specs.push(spec)
          const { actions, conditions, configSchema } = collectRegistrations(wf)
          for (const h of [...actions, ...conditions]) carried.add(`${h.kind}:${h.name}`)
          const override = options.config?.[spec.key]
          if (configSchema && override) {
            for (const issue of configIssues(configSchema, { ...spec.config, ...override })) {
              configIssuesFound.push({ path: ['config', spec.key, ...issue.path.slice(1)], message: issue.message })
            }
          }
        } else {
          specs.push(wf)
        }
      }
      if (configIssuesFound.length > 0) throw new PulseValidationError(`config overrides for tenant "${owner}"`, configIssuesFound)
      const missing = missingHandlers(
        registry,
        specs.flatMap((s) => handlersIn(s.steps, s.key ?? s.name)),
      ).filter((m) => !carried.has(`${m.type}:${m.name}`))
      if (missing.length > 0) {
        const issues = missing.map((m) => ({ path: ['workflows', m.workflow, 'steps', m.name], message: missingMessage(m) }))
        throw new PulseValidationError(`sync of tenant "${owner}"`, issues)
      }
      const plan = await syncTenant(store, { tenantId: owner!, specs, prune: options.prune, dryRun: options.dryRun, config: options.config })
      if (!plan.dryRun) {
        const touched = new Set([...plan.created, ...plan.updated, ...plan.disabled].map((e) => e.definitionId))
        for (const def of plan.definitions) {
          if (touched.has(def.id) && (def.cronExpression || !def.isEnabled)) await applySchedule(cron, def)
        }
      }
      return plan
    },

    async getRun(runId) {
      const run = await store.runs.get(runId, tenantId)
      return run ? publicRun(run) : null
    },
    async getRunSteps(runId) {
      return (await store.steps.listForRun(runId, tenantId)).map(publicStep)
    },
    async getRunsByTrigger(triggerId) {
      return (await store.runs.listByTrigger(triggerId, tenantId)).map(publicRun)
    },
    getTrigger: (triggerId) => store.signals.get(triggerId, tenantId),
    async getRunTimeline(runId) {
      const run = await store.runs.get(runId, tenantId)
      if (!run) throw new PulseNotFoundError('run', runId)
      const [steps, logs] = await Promise.all([store.steps.listForRun(runId, run.tenantId), store.logs.listForRun(runId, run.tenantId)])
      return buildTimeline(run, steps, logs)
    },
    getRunLogs: (runId) => store.logs.listForRun(runId, tenantId),
    async listRuns(filter: ListRunsFilter = {}) {
      if (tenantId !== undefined && filter.tenantId !== undefined && filter.tenantId !== tenantId) return []
      return (await store.runs.list({ ...filter, tenantId: tenantId ?? filter.tenantId })).map(publicRun)
    },
    // Scoped, the engine's tenant wins over any tenantId in the filter.
    listSignals: (filter: ListSignalsFilter = {}) => store.signals.list({ ...filter, tenantId: tenantId ?? filter.tenantId }),
    listWorkflows: (filter: ListWorkflowsFilter = {}) => store.definitions.list({ ...filter, tenantId: tenantId ?? filter.tenantId }),
    async getFailedRuns() {
      return (await store.runs.list({ tenantId, status: 'failed', limit: 1000 })).map(publicRun)
    },

    async cancelRun(runId, reason) {
      return publicRun(await cancelRun(executor, runId, reason, tenantId))
    },
    async retryRun(runId) {
      return publicRun(await retryRun(executor, runId, tenantId))
    },
    async replay(triggerId, options = {}) {
      const trigger = await store.signals.get(triggerId, tenantId)
      if (!trigger) throw new PulseNotFoundError('trigger', triggerId)
      const persisted = await store.signals.rematch(trigger, { isReplay: true, isDryRun: options.dryRun === true })
      if (persisted.firstSteps.length > 0) await queue.enqueue(persisted.firstSteps.map(jobFor), { fresh: true })
      return persisted.runs.map(publicRun)
    },
    verify: (options = {}) => verifyConsistency(store, { ...options, tenantId }),
  })

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
        await assertSchema()
        await checkHandlers()
      })
      await checkRedisPolicy()
      executor.resume()
      await queue.startWorker((job) => executor.processJob(job), cfg.concurrency)
      await withDatabase('start()', () => restoreSchedules(store, cron))
      await cron.startWorker((tick) => fireTick(cronDeps, tick))
      reconciler = startReconciler({
        store,
        queue,
        logger: cfg.logger,
        intervalMs: cfg.reconcileIntervalMs,
        graceMs: Math.min(5_000, cfg.reconcileIntervalMs),
      })
      scheduleKeeper = startScheduleKeeper({ store, cron, logger: cfg.logger, intervalMs: cfg.reconcileIntervalMs })
      started = true
    },

    async stop() {
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
  return engine

  async function assertSchema(): Promise<void> {
    const version = await store.schemaVersion()
    if (version === null) {
      throw new PulseConfigError(`the engine's tables (prefix "${cfg.tablePrefix}") do not exist yet; call engine.migrate() before engine.start()`)
    }
    if (version < LATEST_SCHEMA_VERSION) {
      throw new PulseConfigError(`the engine's tables are at schema version ${version}, this version needs ${LATEST_SCHEMA_VERSION}; call engine.migrate() before engine.start()`)
    }
  }

  /** Redis mode: BullMQ loses jobs under any eviction policy but noeviction; say so before taking work. */
  async function checkRedisPolicy(): Promise<void> {
    if (cfg.mode.kind !== 'redis' || cfg.redisPolicyCheck === 'off') return
    const report = await readRedisPolicy(cfg.mode.redis)
    if (report.ok === true) return
    if (report.ok === 'unknown') {
      cfg.logger.info({ reason: report.reason }, 'pulse-engine: could not read Redis maxmemory-policy; make sure it is "noeviction"')
      return
    }
    const message = `pulse-engine: Redis maxmemory-policy is "${report.policy}", but BullMQ needs "noeviction": when Redis fills up it will delete queued jobs and cron schedulers. Run CONFIG SET maxmemory-policy noeviction (or set it in redis.conf / your provider's settings), or pass redisPolicyCheck: 'off' to silence this.`
    if (cfg.redisPolicyCheck === 'throw') throw new PulseConfigError(message)
    cfg.logger.error({ policy: report.policy }, message)
  }

  async function checkHandlers(): Promise<void> {
    const missing = missingHandlers(registry, await store.definitions.usedHandlers())
    if (missing.length === 0) return
    const message = `pulse-engine: enabled workflows use handlers this process did not register. ${describeMissing(missing)}`
    if (cfg.missingHandlers === 'throw') throw new PulseConfigError(message)
    cfg.logger.warn({ missing }, message)
  }
}

/**
 * The one place that tells the modes apart: where the store's pool comes from and which backend
 * BullMQ uses. Everything after this is the same code in all three modes.
 */
function connect(cfg: ResolvedConfig): {
  pool: PoolLike
  backend: BackendSource
  embeddedInfo?: () => Promise<Pick<EngineInfo, 'databaseUrl' | 'embedded'>>
  closeDatabase: () => Promise<void>
} {
  const mode = cfg.mode
  if (mode.kind === 'redis') {
    return { pool: mode.db, backend: async () => ({ kind: 'redis', redis: mode.redis }), closeDatabase: async () => undefined }
  }
  if (mode.kind === 'postgres') {
    return {
      pool: mode.db,
      backend: async () => ({
        kind: 'postgres',
        connection: mode.queueConnection,
        schema: cfg.queueSchema,
        ...(mode.pollMs ? { pollSeconds: mode.pollMs / 1000 } : {}),
      }),
      closeDatabase: async () => undefined,
    }
  }
  let embedded: Promise<EmbeddedDatabase> | undefined
  // Loaded on demand: an application on its own Postgres never loads PGlite.
  const open = () =>
    (embedded ??= import('../embedded/embedded-database.js').then(({ startEmbeddedDatabase }) =>
      startEmbeddedDatabase({
        dataDir: mode.dataDir,
        queueSchema: cfg.queueSchema,
        onWait: (message) => cfg.logger.info({ dataDir: mode.dataDir }, `pulse-engine: ${message}`),
      }),
    ))
  return {
    pool: lazyPool(async () => (await open()).pool),
    // The embedded server delivers no NOTIFY between connections, so its workers poll briefly.
    backend: async () => ({ kind: 'postgres', connection: (await open()).connectionString, schema: cfg.queueSchema, pollSeconds: 0.05 }),
    async embeddedInfo() {
      const db = await open()
      return {
        databaseUrl: db.connectionString,
        embedded: { dataDir: mode.dataDir === false ? false : resolve(mode.dataDir), role: db.role, owner: db.owner },
      }
    },
    async closeDatabase() {
      const db = embedded
      embedded = undefined
      if (db) await (await db).close()
    },
  }
}

/**
 * A pg Pool emits 'error' when an idle client's connection dies (Postgres restarted, a backend
 * was terminated); a checked-out client emits 'error' on itself when its connection dies between
 * two statements of a transaction. With no listener, Node turns either into an uncaught
 * exception that ends the process. The pool is the application's, so the engine:
 * - adds a pool 'error' listener (logging a warning) only when the application has none;
 * - adds an 'error' listener to every client the pool connects from now on, because the
 *   engine's own transactions check clients out and a crash there would take the worker down.
 *   The failed query still rejects, and pg discards the broken client when it is released.
 */
function watchPoolErrors(cfg: ResolvedConfig): void {
  if (cfg.mode.kind === 'embedded') return
  type Listener = (err: Error) => void
  type Emitter = { listenerCount?(event: string): number; on?(event: string, fn: (arg: never) => void): void }
  const pool = cfg.mode.db as unknown as Emitter & { [WATCHED]?: boolean }
  if (typeof pool.listenerCount !== 'function' || typeof pool.on !== 'function' || pool[WATCHED]) return
  pool[WATCHED] = true
  const log: Listener = (err) => cfg.logger.warn({ err }, 'pulse-engine: a Postgres connection of the pool failed; the pool replaces it')
  if (pool.listenerCount('error') === 0) pool.on('error', log as (arg: never) => void)
  pool.on('connect', ((client: Emitter) => client.on?.('error', log as (arg: never) => void)) as (arg: never) => void)
}

const WATCHED = Symbol.for('pulse-engine.pool-watched')

/** Why a tenant id cannot be used, or undefined when it can. */
function tenantProblem(tenantId: unknown): string | undefined {
  if (typeof tenantId !== 'string' || tenantId.length === 0) return 'tenantId is required and must be a non-empty string'
  if (tenantId.length > 256) return 'tenantId is longer than 256 characters'
  const problem = stringProblem(tenantId)
  return problem ? `tenantId ${problem}` : undefined
}

function isWorkflow(value: AnyWorkflow | WorkflowSpec): value is AnyWorkflow {
  return (value as AnyWorkflow).kind === 'workflow' && typeof (value as AnyWorkflow).compile === 'function'
}
