import { definitionHash, validateSpec } from '../definition/index.js'
import { collectRegistrations, type AnyWorkflow } from '../dsl/index.js'
import { PulseConfigError, PulseError, PulseNotFoundError } from '../errors.js'
import { createRedisStepQueue, type StepQueue } from '../queue/index.js'
import { createExecutor } from '../runtime/executor.js'
import { emitSignal } from '../runtime/emit-signal.js'
import { createHookFirer } from '../runtime/hooks.js'
import { Registry } from '../runtime/registry.js'
import { startReconciler } from '../runtime/reconciler.js'
import { cancelRun, retryRun } from '../runtime/run-control.js'
import { jobFor } from '../runtime/executor.js'
import { buildTimeline } from '../runtime/timeline.js'
import { createStore, LATEST_SCHEMA_VERSION, publicRun, publicStep } from '../store/index.js'
import type { TriggerInput } from '../types.js'
import { resolveConfig, type EngineConfig } from './config.js'
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
export function createEngine(config: EngineConfig): Engine {
  const cfg = resolveConfig(config)
  const store = createStore(cfg.db, cfg.tablePrefix)
  const registry = new Registry()
  const hooks = createHookFirer({ onStepComplete: cfg.onStepComplete, onRunComplete: cfg.onRunComplete }, cfg.logger)
  const queue: StepQueue = createRedisStepQueue({ redis: cfg.redis, queuePrefix: cfg.queuePrefix })

  const emit = async (input: TriggerInput) =>
    (await emitSignal({ store, queue, registry, logger: cfg.logger, allowUnregisteredTriggers: cfg.allowUnregisteredTriggers }, input))
      .trigger
  const executor = createExecutor({ store, queue, registry, hooks, logger: cfg.logger, leaseMs: cfg.leaseMs, emit })
  let reconciler: ReturnType<typeof startReconciler> | undefined
  let started = false

  const engine: Engine = {
    registerTrigger: (type, registration) => registry.registerTrigger(type, registration),
    registerAction: (name, handler, options) => registry.registerAction(name, handler, options),
    registerCondition: (name, handler) => registry.registerCondition(name, handler),
    register(...workflows: AnyWorkflow[]) {
      for (const wf of workflows) {
        const { trigger, actions, conditions } = collectRegistrations(wf)
        registry.registerTrigger(trigger.type, {
          source: trigger.source,
          resourceType: trigger.resourceType,
          payloadSchema: trigger.payload,
        })
        for (const a of actions) registry.registerAction(a.name, a.handler, a.options)
        for (const c of conditions) registry.registerCondition(c.name, c.handler)
      }
    },

    async migrate() {
      await store.migrate()
    },

    async start() {
      if (started) return
      await assertSchema()
      await queue.startWorker((job) => executor.processJob(job), cfg.concurrency)
      reconciler = startReconciler({ store, queue, logger: cfg.logger, intervalMs: cfg.reconcileIntervalMs, graceMs: Math.min(5_000, cfg.reconcileIntervalMs) })
      started = true
    },

    async stop() {
      reconciler?.stop()
      reconciler = undefined
      if (started) {
        started = false
        const drained = queue.stopWorker(false).then(() => true)
        const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), cfg.shutdownGraceMs).unref())
        if (!(await Promise.race([drained, timedOut]))) {
          await executor.releaseAll()
          await queue.stopWorker(true)
        }
      }
      await queue.close()
    },

    async createWorkflow(input) {
      const { tenantId, ...spec } = input
      if (typeof tenantId !== 'string' || tenantId.length === 0) {
        throw new PulseConfigError('createWorkflow needs a tenantId')
      }
      const clean = validateSpec(spec, { keyOptional: true })
      try {
        return await store.definitions.insert({ ...clean, tenantId, hash: definitionHash(clean) })
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          throw new PulseError('CONFLICT', `tenant "${tenantId}" already has a workflow with key "${clean.key}"; use engine.sync() to update it`, { cause: err })
        }
        throw err
      }
    },
    async enableWorkflow(definitionId) {
      if (!(await store.definitions.setEnabled(definitionId, true))) throw new PulseNotFoundError('workflow definition', definitionId)
    },
    async disableWorkflow(definitionId) {
      if (!(await store.definitions.setEnabled(definitionId, false))) throw new PulseNotFoundError('workflow definition', definitionId)
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
      await queue.enqueue(persisted.firstSteps.map(jobFor))
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
}
