import type { StepQueue } from '../queue/index.js'
import type { EarlierSignal, KeyedSignalRequest, NewSignal, PersistedSignal, Store, TraceCarrier } from '../store/index.js'
import type { Telemetry } from '../telemetry/index.js'
import type { EngineLogger, SignalEffects, TriggerEnvelope } from '../types.js'
import type { FairShares } from './fair-share.js'
import type { FlowAdmission } from './flow-admission.js'
import { jobFor } from './job-for.js'
import type { LocalStart } from './local-starts.js'
import { RUN_STARTS } from './run-state.js'

export interface StartRunsDeps {
  store: Store
  queue: StepQueue
  logger: EngineLogger
  /**
   * Whether this process can start first steps itself right now: how long its claim lasts and how
   * to start a claimed step, or undefined to go through the queue.
   */
  local?: () => LocalStart | undefined
  /** Delivers a stored signal to waits and cancel-on (see deliverSignal). */
  deliver?: (signalId: string) => Promise<SignalEffects>
  /** Orders new runs between tenants (see FairShares); without it they queue first-in, first-out. */
  fairShares?: FairShares
  /** Gives runs held by their workflow's flow control their places (see FlowAdmission). */
  flow?: FlowAdmission
  telemetry: Telemetry
}

const NO_EFFECTS: SignalEffects = Object.freeze({ resolvedWaits: [], canceledRuns: [] }) as SignalEffects

/** A signal whose runs are to start: a new one to store, or a stored one matched again (replay). */
export type SignalToStart =
  | {
      kind: 'new'
      signal: NewSignal
      id?: string
      onlyDefinitionId?: string
      runHere: boolean
      idempotency?: KeyedSignalRequest['idempotency']
      /** The emit span's context, stored with the runs so their steps join its trace. */
      traceContext?: TraceCarrier
    }
  | { kind: 'replay'; trigger: TriggerEnvelope; dryRun: boolean; traceContext?: TraceCarrier }

/** What startRuns did: stored the signal and started its runs, or found its key's earlier signal (nothing written). */
export type StartedSignal = PersistedSignal | { earlier: EarlierSignal }

/**
 * Starts the runs of a signal: stores the signal (or matches a stored one again), creates a run
 * and its first step for every enabled definition it matches, in one statement, then gets the
 * first steps going. With `runHere` and room in this process, first steps are created already
 * claimed and start here at once (no queue round trip); the others are enqueued. Used by emit
 * (and so by `ctx.emit` chaining), cron ticks and replay. Returns null for a fixed signal id that
 * already existed (nothing started). With an idempotency key, the key's row is written in the
 * same statement; a key already held returns the earlier signal and writes nothing.
 */
export async function startRuns(deps: StartRunsDeps, what: SignalToStart & { idempotency?: undefined }): Promise<PersistedSignal | null>
export async function startRuns(deps: StartRunsDeps, what: SignalToStart): Promise<StartedSignal | null>
export async function startRuns(deps: StartRunsDeps, what: SignalToStart): Promise<StartedSignal | null> {
  if (what.kind !== 'replay' || !deps.telemetry.tracesReplays()) return start(deps, what)
  const { trigger } = what
  // A replay starts a trace of its own, linked to the ones its signal's first runs joined.
  const originals = new Map<string, TraceCarrier>()
  for (const run of await deps.store.runs.listByTrigger(trigger.id, trigger.tenantId)) {
    if (!run.isReplay && run.traceContext?.traceparent) originals.set(run.traceContext.traceparent, run.traceContext)
  }
  return deps.telemetry.replay(trigger, [...originals.values()], (traceContext) => start(deps, { ...what, traceContext }))
}

async function start(deps: StartRunsDeps, what: SignalToStart): Promise<StartedSignal | null> {
  const tenantId = what.kind === 'new' ? what.signal.tenantId : what.trigger.tenantId
  const mayStartHere = what.kind === 'new' && what.runHere && (deps.fairShares?.mayStartHere(tenantId) ?? true)
  const local = mayStartHere ? deps.local?.() : undefined
  let stored: StartedSignal | null
  try {
    if (what.kind === 'replay') {
      stored = await deps.store.signals.rematch(what.trigger, { isReplay: true, isDryRun: what.dryRun, starts: RUN_STARTS, traceContext: what.traceContext })
    } else {
      const request = {
        signal: what.signal,
        ...(what.id !== undefined ? { id: what.id } : {}),
        ...(what.onlyDefinitionId !== undefined ? { onlyDefinitionId: what.onlyDefinitionId } : {}),
        ...(local ? { claimFirstMs: local.leaseMs } : {}),
        ...(what.traceContext ? { traceContext: what.traceContext } : {}),
        starts: RUN_STARTS,
      }
      if (what.idempotency) {
        const outcome = await deps.store.signals.persistKeyed({ ...request, idempotency: what.idempotency })
        stored = 'earlier' in outcome ? outcome : outcome.persisted
      } else {
        const { signal, ...options } = request
        stored = await deps.store.signals.persistAndMatch(signal, options)
      }
    }
  } finally {
    // The chains started below count themselves; the reservation only covered the statement.
    queueMicrotask(() => local?.release())
  }
  if (!stored || 'earlier' in stored) return stored
  const persisted = stored
  const held = new Set(persisted.runs.filter((run) => run.held).map((run) => run.id))
  if (held.size > 0 && deps.flow) persisted.admission = await deps.flow.admitNew(persisted.runs)
  // A held run's first step is parked: admission enqueues it when the run gets its place.
  const queued = persisted.firstSteps.filter((step) => step.status !== 'running' && !held.has(step.runId))
  // Runs flow control skipped (rate limited, debounced) were never started.
  deps.telemetry.runsStarted(persisted.admission ? persisted.runs.filter((run) => persisted.admission!.get(run.id)?.kind !== 'skipped') : persisted.runs)
  if (local) {
    let startedHere = 0
    for (const step of persisted.firstSteps) {
      const run = persisted.runs.find((r) => r.id === step.runId)
      if (step.status === 'running' && run) {
        local.start({ step, run, trigger: persisted.trigger })
        startedHere++
      }
    }
    deps.fairShares?.startedHere(tenantId, startedHere)
  }
  if (queued.length > 0) {
    const jobs = queued.map(jobFor)
    const due = jobs.filter((job) => !job.delayMs)
    const priorities = deps.fairShares?.priorities(tenantId, due.length)
    if (priorities) due.forEach((job, i) => (job.priority = priorities[i]))
    await deps.queue.enqueue(jobs, { fresh: true }).catch((err: unknown) => {
      // The runs are committed; the reconciler enqueues their first steps if this did not.
      deps.logger.warn({ err }, 'pulse-engine: could not enqueue first steps; the reconciler will pick them up')
    })
  }
  persisted.effects = NO_EFFECTS
  if (persisted.undelivered && deps.deliver) {
    persisted.effects = await deps.deliver(persisted.trigger.id).catch((err: unknown) => {
      // The signal is stored and marked undelivered; the reconciler delivers it.
      deps.logger.warn({ err }, 'pulse-engine: could not deliver a signal to waits and cancel-on; the reconciler will')
      return NO_EFFECTS
    })
  }
  return persisted
}
