import type { CronQueue, CronTick, StepQueue } from '../queue/index.js'
import type { Store } from '../store/index.js'
import type { Telemetry } from '../telemetry/index.js'
import type { EngineLogger, WorkflowDefinition } from '../types.js'
import type { Registry } from './registry.js'
import { startRuns } from './start-runs.js'

/**
 * What happens to ticks that fell due while no engine was running: `'run-once'` fires one late
 * tick when an engine comes back (BullMQ keeps only the next tick, so several missed ticks
 * collapse into one), `'skip'` drops a tick delivered more than `misfireGraceMs` late.
 */
export type CronMisfirePolicy = 'run-once' | 'skip'

export interface CronDeps {
  store: Store
  queue: StepQueue
  cron: CronQueue
  registry: Registry
  logger: EngineLogger
  misfire: CronMisfirePolicy
  misfireGraceMs: number
  /** The clock ticks are judged late by; default the system clock (the testing kit's is virtual). */
  now?: () => number
  telemetry: Telemetry
}

/**
 * Turns one cron tick into a signal and a run of the definition that owns the schedule. The
 * signal id is derived from the definition and the tick time, so a tick delivered twice (a
 * stalled job, two engines) is written once and starts one run.
 */
export async function fireTick(deps: CronDeps, tick: CronTick): Promise<void> {
  const def = await deps.store.definitions.get(tick.definitionId)
  if (!def || !def.isEnabled || !def.cronExpression) return
  const lateBy = (deps.now ?? Date.now)() - tick.scheduledAt.getTime()
  if (deps.misfire === 'skip' && lateBy > deps.misfireGraceMs) {
    deps.logger.info({ definitionId: def.id, scheduledAt: tick.scheduledAt }, 'pulse-engine: skipped a late cron tick (misfire policy "skip")')
    return
  }
  const registration = deps.registry.triggers.get(def.triggerType)
  const signal = {
    tenantId: def.tenantId,
    source: registration?.source ?? 'cron',
    type: def.triggerType,
    resourceType: registration?.resourceType,
    payload: { scheduledAt: tick.scheduledAt.toISOString(), cron: def.cronExpression },
  }
  const id = `trg_cron_${def.id}_${tick.scheduledAt.getTime()}`
  await deps.telemetry.emit(
    signal,
    undefined,
    (span) => startRuns(deps, { kind: 'new', signal, id, onlyDefinitionId: def.id, runHere: false, traceContext: span?.carrier }),
    // A tick delivered twice finds its signal stored and starts nothing.
    (persisted) => ({ signalId: id, runs: persisted?.runs.length ?? 0, deduplicated: persisted === null }),
  )
}

/** Puts a definition's schedule in line with its row: scheduled when enabled with a cron, removed otherwise. */
export async function applySchedule(cron: CronQueue, def: WorkflowDefinition): Promise<void> {
  if (def.isEnabled && def.cronExpression) {
    await cron.upsert({ definitionId: def.id, tenantId: def.tenantId, pattern: def.cronExpression, timezone: def.cronTimezone })
  } else {
    await cron.remove(def.id)
  }
}

/** At start(): schedule every enabled cron definition and drop schedulers whose definition no longer wants one. */
export async function restoreSchedules(store: Store, cron: CronQueue): Promise<void> {
  const scheduled = await store.definitions.listScheduled()
  const wanted = new Set(scheduled.map((d) => d.id))
  for (const def of scheduled) await applySchedule(cron, def)
  for (const id of await cron.list()) {
    if (!wanted.has(id)) await cron.remove(id)
  }
}
