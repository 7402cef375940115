import type { Attributes, Counter, Histogram, Meter, ObservableGauge, ObservableResult } from '@opentelemetry/api'
import type { Claim, RunRecord } from '../store/index.js'
import type { StepOutcome } from '../runtime/run-state.js'
import { ATTR, outcomeName, workflowLabel } from './attributes.js'
import type { OtelApi } from './load-api.js'

const SCOPE = 'pulse-engine'

/** How many steps wait for a worker: due now (`due`) and due later (`scheduled`: delays, backoffs, wait timeouts). */
export interface WaitingSteps {
  due: number
  scheduled: number
}

export interface MetricsOptions {
  /** Adds `pulse.tenant_id` to every series: off by default, since tenants can be many. */
  perTenant: boolean
  /** Whose steps the waiting gauge counts: engines on other tables in the same process report their own. */
  tablePrefix: string
}

interface Instruments {
  runsStarted: Counter
  runsCompleted: Counter
  runsFailed: Counter
  runsCanceled: Counter
  stepDuration: Histogram
  queueLag: Histogram
  stepsWaiting: ObservableGauge
  observeWaiting: (result: ObservableResult) => Promise<void>
}

/**
 * Instruments on the global meter provider. There is no proxy provider for metrics, so the
 * provider is looked up on each use (one global read) and the instruments made again when it
 * changed: an SDK registered after the engine started still gets them.
 */
export function createMetrics(api: OtelApi, options: MetricsOptions) {
  let seen: unknown
  let instruments: Instruments | undefined
  let readWaiting: (() => Promise<WaitingSteps>) | undefined

  function current(): Instruments | undefined {
    const provider = api.metrics.getMeterProvider()
    if (provider !== seen) {
      seen = provider
      instruments?.stepsWaiting.removeCallback(instruments.observeWaiting)
      const meter = provider.getMeter(SCOPE)
      instruments = meter === api.createNoopMeter() ? undefined : create(meter)
    }
    return instruments
  }

  function create(meter: Meter): Instruments {
    const runs = (what: string) => meter.createCounter(`pulse.runs.${what}`, { unit: '{run}', description: `Workflow runs ${what}` })
    const made: Instruments = {
      runsStarted: runs('started'),
      runsCompleted: runs('completed'),
      runsFailed: runs('failed'),
      runsCanceled: runs('canceled'),
      stepDuration: meter.createHistogram('pulse.step.duration', { unit: 's', description: 'How long one execution of a step took, its handler and the commit of its outcome' }),
      queueLag: meter.createHistogram('pulse.step.queue_lag', { unit: 's', description: 'From when a step was due to when a worker started it' }),
      stepsWaiting: meter.createObservableGauge('pulse.steps.waiting', { unit: '{step}', description: 'Steps not started yet: due now, or scheduled for later' }),
      async observeWaiting(result) {
        // One cheap count per collection, only in a started engine.
        const counts = await readWaiting?.().catch(() => undefined)
        if (!counts) return
        result.observe(counts.due, { [ATTR.stepState]: 'due', [ATTR.tablePrefix]: options.tablePrefix })
        result.observe(counts.scheduled, { [ATTR.stepState]: 'scheduled', [ATTR.tablePrefix]: options.tablePrefix })
      },
    }
    made.stepsWaiting.addCallback(made.observeWaiting)
    return made
  }

  const runAttributes = (run: RunRecord): Attributes =>
    options.perTenant ? { [ATTR.workflowKey]: workflowLabel(run), [ATTR.tenantId]: run.tenantId } : { [ATTR.workflowKey]: workflowLabel(run) }

  return {
    /** Whether a meter provider is registered: the per-step check. */
    enabled: (): boolean => current() !== undefined,

    runsStarted(runs: readonly RunRecord[]): void {
      const m = current()
      if (!m) return
      for (const run of runs) if (!run.isDryRun) m.runsStarted.add(1, runAttributes(run))
    },

    runEnded(run: RunRecord): void {
      const m = current()
      if (!m || run.isDryRun) return
      const counter = run.status === 'completed' ? m.runsCompleted : run.status === 'failed' ? m.runsFailed : run.status === 'canceled' ? m.runsCanceled : undefined
      counter?.add(1, runAttributes(run))
    },

    stepStarted(claim: Claim): void {
      const m = current()
      const { step } = claim
      const due = step.scheduledFor ?? step.createdAt
      if (!m || !step.startedAt || !due) return
      const attributes = { ...runAttributes(claim.run), [ATTR.stepType]: step.stepType }
      m.queueLag.record(Math.max(0, step.startedAt.getTime() - due.getTime()) / 1000, attributes)
    },

    stepEnded(claim: Claim, outcome: StepOutcome | undefined, seconds: number): void {
      const m = current()
      if (!m) return
      const attributes = { ...runAttributes(claim.run), [ATTR.stepType]: claim.step.stepType, [ATTR.stepOutcome]: outcome ? outcomeName(outcome) : 'error' }
      m.stepDuration.record(seconds, attributes)
    },

    /** Where `pulse.steps.waiting` reads its counts: set by a started engine, unset when it stops. */
    observeWaiting(read: (() => Promise<WaitingSteps>) | undefined): void {
      readWaiting = read
    },
  }
}

export type Metrics = ReturnType<typeof createMetrics>
