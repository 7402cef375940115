import { definitionHash, validateSpec } from '../definition/index.js'
import { collectRegistrations, type AnyWorkflow } from '../dsl/index.js'
import { PulseConfigError, PulseError, PulseNotFoundError, PulseValidationError } from '../errors.js'
import type { EmbeddedDatabase } from '../embedded/embedded-database.js'
import { lazyPool } from '../embedded/lazy-pool.js'
import { createCronQueue, createStepQueue, type BackendSource, type CronQueue, type StepQueue } from '../queue/index.js'
import { applySchedule, fireTick, restoreSchedules } from '../runtime/cron.js'
import { emitSignal } from '../runtime/emit-signal.js'
import { createExecutor, jobFor } from '../runtime/executor.js'
import { describeMissing, handlersIn, missingHandlers, missingMessage } from '../runtime/handler-check.js'
import { createHookFirer } from '../runtime/hooks.js'
import { startReconciler } from '../runtime/reconciler.js'
import { Registry } from '../runtime/registry.js'
import { cancelRun, retryRun } from '../runtime/run-control.js'
import { syncTenant } from '../runtime/sync.js'
import { buildTimeline } from '../runtime/timeline.js'
import { createStore, LATEST_SCHEMA_VERSION, publicRun, publicStep, type PoolLike } from '../store/index.js'
import type { TriggerInput, WorkflowDefinition, WorkflowSpec } from '../types.js'
import { resolveConfig, type EngineConfig, type ResolvedConfig } from './config.js'
import type { Engine } from './engine.js'

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
  const { pool, backend, closeDatabase, databaseUrl } = connect(cfg)
  const store = createStore(pool, cfg.tablePrefix, cfg.schema)
  const registry = new Registry()
  const hooks = createHookFirer({ onStepComplete: cfg.onStepComplete, onRunComplete: cfg.onRunComplete }, cfg.logger)
  const queue: StepQueue = createStepQueue({ backend, queuePrefix: cfg.queuePrefix })
  const cron: CronQueue = createCronQueue({ backend, queuePrefix: cfg.queuePrefix })
  const emitDeps = { store, queue, registry, logger: cfg.logger, allowUnregisteredTriggers: cfg.allowUnregisteredTriggers }

  const emit = async (input: TriggerInput) => (await emitSignal(emitDeps, input))!.trigger
  const executor = createExecutor({ store, queue, registry, hooks, logger: cfg.logger, leaseMs: cfg.leaseMs, emit })
  const cronDeps = { store, queue, cron, registry, logger: cfg.logger, misfire: cfg.cronMisfire, misfireGraceMs: cfg.cronMisfireGraceMs }
  let reconciler: ReturnType<typeof startReconciler> | undefined
  let started = false

  const registerWorkflow = (wf: AnyWorkflow) => {
    const { trigger, actions, conditions } = collectRegistrations(wf)
    registry.registerTrigger(trigger.type, { source: trigger.source, resourceType: trigger.resourceType, payloadSchema: trigger.payload })
    for (const a of actions) registry.registerAction(a.name, a.handler, a.options)
    for (const c of conditions) registry.registerCondition(c.name, c.handler)
  }

  const setEnabled = async (definitionId: string, enabled: boolean) => {
    const def = await store.definitions.setEnabled(definitionId, enabled)
    if (!def) throw new PulseNotFoundError('workflow definition', definitionId)
    if (def.cronExpression) await applySchedule(cron, def)
  }

  const engine: Engine = {
    async info() {
      return {
        mode: cfg.mode.kind,
        tablePrefix: cfg.tablePrefix,
        queuePrefix: cfg.queuePrefix,
        ...(databaseUrl ? { databaseUrl: await databaseUrl() } : {}),
      }
    },
    registerTrigger: (type, registration) => registry.registerTrigger(type, registration),
    registerAction: (name, handler, options) => registry.registerAction(name, handler, options),
    registerCondition: (name, handler) => registry.registerCondition(name, handler),
    register(...workflows) {
      for (const wf of workflows) registerWorkflow(wf)
    },

    async migrate() {
      await store.migrate()
    },

    async start() {
      if (started) return
      await assertSchema()
      await checkHandlers()
      await queue.startWorker((job) => executor.processJob(job), cfg.concurrency)
      await restoreSchedules(store, cron)
      await cron.startWorker((tick) => fireTick(cronDeps, tick))
      reconciler = startReconciler({
        store,
        queue,
        logger: cfg.logger,
        intervalMs: cfg.reconcileIntervalMs,
        graceMs: Math.min(5_000, cfg.reconcileIntervalMs),
      })
      started = true
    },

    async stop() {
      reconciler?.stop()
      reconciler = undefined
      if (started) {
        started = false
        await cron.stopWorker()
        const drained = queue.stopWorker(false).then(() => true)
        const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), cfg.shutdownGraceMs).unref())
        if (!(await Promise.race([drained, timedOut]))) {
          await executor.releaseAll()
          await queue.stopWorker(true)
        }
      }
      await cron.close()
      await queue.close()
      await closeDatabase()
    },

    async createWorkflow(input) {
      const { tenantId, ...spec } = input
      if (typeof tenantId !== 'string' || tenantId.length === 0) {
        throw new PulseValidationError('workflow definition', [{ path: ['tenantId'], message: 'tenantId is required' }])
      }
      const clean = validateSpec(spec, { keyOptional: true })
      let def: WorkflowDefinition
      try {
        def = await store.definitions.insert({ ...clean, tenantId, hash: definitionHash(clean) })
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          throw new PulseError('CONFLICT', `tenant "${tenantId}" already has a workflow with key "${clean.key}"; use engine.sync() to update it`, { cause: err })
        }
        throw err
      }
      if (def.cronExpression) await applySchedule(cron, def)
      return def
    },
    enableWorkflow: (definitionId) => setEnabled(definitionId, true),
    disableWorkflow: (definitionId) => setEnabled(definitionId, false),

    async sync(options) {
      const specs: WorkflowSpec[] = []
      const carried = new Set<string>()
      for (const wf of options.workflows) {
        if (isWorkflow(wf)) {
          specs.push(wf.compile())
          const { actions, conditions } = collectRegistrations(wf)
          for (const h of [...actions, ...conditions]) carried.add(`${h.kind}:${h.name}`)
        } else {
          specs.push(wf)
        }
      }
      const missing = missingHandlers(
        registry,
        specs.flatMap((s) => handlersIn(s.steps, s.key ?? s.name)),
      ).filter((m) => !carried.has(`${m.type}:${m.name}`))
      if (missing.length > 0) {
        const issues = missing.map((m) => ({ path: ['workflows', m.workflow, 'steps', m.name], message: missingMessage(m) }))
        throw new PulseValidationError(`sync of tenant "${options.tenantId}"`, issues)
      }
      const plan = await syncTenant(store, { tenantId: options.tenantId, specs, prune: options.prune, dryRun: options.dryRun, config: options.config })
      if (!plan.dryRun) {
        const touched = new Set([...plan.created, ...plan.updated, ...plan.disabled].map((e) => e.definitionId))
        for (const def of plan.definitions) {
          if (touched.has(def.id) && (def.cronExpression || !def.isEnabled)) await applySchedule(cron, def)
        }
      }
      return plan
    },

    emit(...args: unknown[]) {
      const [first, second] = args as [Record<string, unknown>, Record<string, unknown> | undefined]
      if (second !== undefined && first && first.kind === 'trigger') {
        return emit({ ...second, type: first.type, source: first.source } as unknown as TriggerInput)
      }
      return emit(first as unknown as TriggerInput)
    },

    async getRun(runId) {
      const run = await store.runs.get(runId)
      return run ? publicRun(run) : null
    },
    async getRunSteps(runId) {
      return (await store.steps.listForRun(runId)).map(publicStep)
    },
    async getRunsByTrigger(triggerId) {
      return (await store.runs.listByTrigger(triggerId)).map(publicRun)
    },
    getTrigger: (triggerId) => store.signals.get(triggerId),
    async getRunTimeline(runId) {
      const run = await store.runs.get(runId)
      if (!run) throw new PulseNotFoundError('run', runId)
      const [steps, logs] = await Promise.all([store.steps.listForRun(runId), store.logs.listForRun(runId)])
      return buildTimeline(run, steps, logs)
    },
    getRunLogs: (runId) => store.logs.listForRun(runId),
    async listRuns(filter = {}) {
      return (await store.runs.list(filter)).map(publicRun)
    },
    async getFailedRuns(tenantId) {
      return (await store.runs.list({ tenantId, status: 'failed', limit: 1000 })).map(publicRun)
    },

    async cancelRun(runId, reason) {
      return publicRun(await cancelRun(executor, runId, reason))
    },
    async retryRun(runId) {
      return publicRun(await retryRun(executor, runId))
    },
    async replay(triggerId, options = {}) {
      const trigger = await store.signals.get(triggerId)
      if (!trigger) throw new PulseNotFoundError('trigger', triggerId)
      const persisted = await store.signals.rematch(trigger, { isReplay: true, isDryRun: options.dryRun === true })
      if (persisted.firstSteps.length > 0) await queue.enqueue(persisted.firstSteps.map(jobFor))
      return persisted.runs.map(publicRun)
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
  databaseUrl?: () => Promise<string>
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
      startEmbeddedDatabase({ dataDir: mode.dataDir, queueSchema: cfg.queueSchema }),
    ))
  return {
    pool: lazyPool(async () => (await open()).pool),
    // The embedded server delivers no NOTIFY between connections, so its workers poll briefly.
    backend: async () => ({ kind: 'postgres', connection: (await open()).connectionString, schema: cfg.queueSchema, pollSeconds: 0.05 }),
    databaseUrl: async () => (await open()).connectionString,
    async closeDatabase() {
      const db = embedded
      embedded = undefined
      if (db) await (await db).close()
    },
  }
}

function isWorkflow(value: AnyWorkflow | WorkflowSpec): value is AnyWorkflow {
  return (value as AnyWorkflow).kind === 'workflow' && typeof (value as AnyWorkflow).compile === 'function'
}
