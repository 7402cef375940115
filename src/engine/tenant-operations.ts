import { PulseNotFoundError, PulseValidationError } from '../errors.js'
import type { CronQueue } from '../queue/index.js'
import { applySchedule } from '../runtime/cron.js'
import type { Executor } from '../runtime/executor.js'
import type { Registry } from '../runtime/registry.js'
import { cancelRun, retryRun } from '../runtime/run-control.js'
import { startRuns, type StartRunsDeps } from '../runtime/start-runs.js'
import { createWorkflow, syncWorkflows } from '../runtime/sync-workflows.js'
import { buildTimeline } from '../runtime/timeline.js'
import { verifyConsistency } from '../runtime/verify.js'
import { publicRun, publicStep, type Store } from '../store/index.js'
import type { ListRunsFilter, ListSignalsFilter, ListWorkflowsFilter, TenantEngine } from './engine.js'
import { tenantProblem } from './tenant-problem.js'

export interface OperationDeps {
  store: Store
  registry: Registry
  cron: CronQueue
  executor: Executor
  /** What replay needs to start runs. */
  starts: StartRunsDeps
  /** The engine option: wait steps and cancelOn may name signal types nobody registered. */
  allowUnregisteredTriggers: boolean
  /** The engine's clock (ms), which says whether a throttle or debounce still holds a run back. */
  now: () => number
}

async function setEnabled(deps: OperationDeps, definitionId: string, enabled: boolean, tenantId?: string): Promise<void> {
  const def = await deps.store.definitions.setEnabled(definitionId, enabled, tenantId)
  if (!def) throw new PulseNotFoundError('workflow definition', definitionId)
  if (def.cronExpression) await applySchedule(deps.cron, def)
}

/**
 * Every read and operation, scoped to `tenantId` when one is given: the store filters on it,
 * so another tenant's ids look exactly like ids that do not exist.
 */
export function tenantOperations(deps: OperationDeps, tenantId?: string): Omit<TenantEngine, 'tenantId' | 'emit'> {
  const { store, registry, cron, executor, allowUnregisteredTriggers } = deps
  return {
    async createWorkflow(input) {
      const { tenantId: given, ...spec } = input
      const owner = tenantId ?? given
      const problem = tenantProblem(owner)
      if (problem) throw new PulseValidationError('workflow definition', [{ path: ['tenantId'], message: problem }])
      return createWorkflow({ store, registry, cron, allowUnregisteredTriggers }, owner!, spec)
    },
    enableWorkflow: (definitionId) => setEnabled(deps, definitionId, true, tenantId),
    disableWorkflow: (definitionId) => setEnabled(deps, definitionId, false, tenantId),

    async sync(options) {
      const owner = tenantId ?? options.tenantId
      const problem = tenantProblem(owner)
      if (problem) throw new PulseValidationError('sync', [{ path: ['tenantId'], message: problem }])
      return syncWorkflows({ store, registry, cron, allowUnregisteredTriggers }, { ...options, tenantId: owner! })
    },

    async getRun(runId) {
      const run = await store.runs.get(runId, tenantId)
      return run ? publicRun(run, deps.now()) : null
    },
    async getRunSteps(runId) {
      return (await store.steps.listForRun(runId, tenantId)).map(publicStep)
    },
    async getRunsByTrigger(triggerId) {
      return (await store.runs.listByTrigger(triggerId, tenantId)).map((run) => publicRun(run, deps.now()))
    },
    async getTrigger(triggerId) {
      const signal = await store.signals.get(triggerId, tenantId)
      if (!signal) return null
      const skipped = await store.flow.skippedFor(triggerId)
      return { ...signal, skipped: skipped.map(({ workflowKey, definitionId, reason, runId }) => ({ workflowKey, definitionId, reason, ...(runId ? { runId } : {}) })) }
    },
    async getRunTimeline(runId) {
      const run = await store.runs.get(runId, tenantId)
      if (!run) throw new PulseNotFoundError('run', runId)
      const [steps, logs, waits] = await Promise.all([
        store.steps.listForRun(runId, run.tenantId),
        store.logs.listForRun(runId, run.tenantId),
        store.waits.listForRun(runId),
      ])
      return buildTimeline(run, steps, logs, waits)
    },
    getRunLogs: (runId) => store.logs.listForRun(runId, tenantId),
    async listRuns(filter: ListRunsFilter = {}) {
      if (tenantId !== undefined && filter.tenantId !== undefined && filter.tenantId !== tenantId) return []
      return (await store.runs.list({ ...filter, tenantId: tenantId ?? filter.tenantId })).map((run) => publicRun(run, deps.now()))
    },
    // Scoped, the engine's tenant wins over any tenantId in the filter.
    listSignals: (filter: ListSignalsFilter = {}) => store.signals.list({ ...filter, tenantId: tenantId ?? filter.tenantId }),
    listWorkflows: (filter: ListWorkflowsFilter = {}) => store.definitions.list({ ...filter, tenantId: tenantId ?? filter.tenantId }),
    async getFailedRuns() {
      return (await store.runs.list({ tenantId, status: 'failed', limit: 1000 })).map((run) => publicRun(run, deps.now()))
    },

    async cancelRun(runId, reason) {
      return publicRun(await cancelRun(executor, runId, reason, tenantId), deps.now())
    },
    async retryRun(runId) {
      return publicRun(await retryRun(executor, runId, tenantId), deps.now())
    },
    async replay(triggerId, options = {}) {
      const trigger = await store.signals.get(triggerId, tenantId)
      if (!trigger) throw new PulseNotFoundError('trigger', triggerId)
      const persisted = await startRuns(deps.starts, { kind: 'replay', trigger, dryRun: options.dryRun === true })
      return (persisted?.runs ?? []).map((run) => publicRun(run, deps.now()))
    },
    verify: (options = {}) => verifyConsistency(store, { ...options, tenantId }),
  }
}
