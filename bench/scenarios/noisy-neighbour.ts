import { monitorEventLoopDelay } from 'node:perf_hooks'
import { trigger, workflow } from '../../src/index.js'
import { benchEngine, percentile, round, sleep } from '../support.js'

export interface NoisyNeighbourArgs {
  mode: 'redis' | 'postgres'
  /** Runs tenant A emits at once in the busy phase. */
  floodRuns: number
  /** The other tenants, each emitting `perTenant` runs spread evenly over `spreadMs`. */
  tenants: number
  perTenant: number
  spreadMs: number
  concurrency: number
}

/** The other tenants' emit -> first handler start latency, all their runs of one phase pooled. */
export interface NeighbourLatency {
  samples: number
  p50Ms: number
  p95Ms: number
  maxMs: number
  /** The part of it spent in the emit() call itself (storing the signal and its run), p50 / p95. */
  emitP50Ms: number
  emitP95Ms: number
}

export interface NoisyNeighbourResult {
  mode: NoisyNeighbourArgs['mode']
  concurrency: number
  tenants: number
  perTenant: number
  spreadMs: number
  /** Phase 1: tenant A emits nothing. */
  idle: NeighbourLatency
  /** Phase 2: the same emits while tenant A's flood is in the system. */
  busy: NeighbourLatency
  /** busy / idle, of the p50s and of the p95s. */
  p50Ratio: number
  p95Ratio: number
  /**
   * How many of the busy phase's neighbour emits were called while tenant A was still emitting.
   * A started engine starts a run it emitted itself at once when it has a free local slot; once A
   * stops emitting, the emits that follow find free slots and skip A's backlog in the queue.
   */
  busyEmitsDuringFloodEmits: number
  /** How late the process's event loop ran while A emitted, p50 / p95 (ms). */
  busyEventLoopLagMs: { p50: number; p95: number }
  /** Tenant A's runs from its first emit() call to the completion of its last run. */
  flood: { runs: number; emitSeconds: number; seconds: number; runsPerSecond: number }
}

const FLOOD_TENANT = 'tenant_a'
/** Tenant A emits the way an app importing a backlog would: this many emit() calls in flight at once. */
const FLOOD_BATCH = 500
/** Untimed runs per tenant before phase 1, so a new process's first runs (JIT, pool connections, first plans) count nowhere. */
const WARMUP_PER_TENANT = 5

/**
 * Noisy neighbour: `tenants` tenants each emit `perTenant` one-step runs spread evenly over
 * `spreadMs` (each emit() call timed on its own), first with tenant A idle, then while tenant A
 * emits `floodRuns` runs in concurrent batches, starting together. Measures each of the other
 * tenants' runs from its emit() call to its handler starting, and tenant A's throughput.
 */
export async function noisyNeighbour(args: NoisyNeighbourArgs): Promise<NoisyNeighbourResult> {
  const { mode, floodRuns, tenants, perTenant, spreadMs, concurrency } = args
  const neighbours = Array.from({ length: tenants }, (_, i) => `tenant_b${i + 1}`)
  const tick = trigger('bench.noisy', { source: 'bench' })
  // First start only: a retried handler would otherwise move its run's start later.
  const firstStartAt = new Map<string, number>()
  const wf = workflow('noisy').on(tick).do('touch', (ctx) => {
    if (!firstStartAt.has(ctx.run.id)) firstStartAt.set(ctx.run.id, performance.now())
  })
  const completions = createCompletions()
  const b = await benchEngine(mode, { concurrency, onRunComplete: ({ run, status }) => completions.record(run.id, run.tenantId, status) })

  /** Emits one run for `tenantId`; returns its run id and when emit() was called. */
  const emitOne = async (tenantId: string) => {
    const calledAt = performance.now()
    const { runs } = await b.engine.emit(tick, { tenantId, payload: {} })
    if (runs.length !== 1) throw new Error(`an emit for ${tenantId} started ${runs.length} runs, expected 1`)
    return { runId: runs[0]!.runId, calledAt, returnedAt: performance.now() }
  }

  /** The other tenants' emits, interleaved on one schedule: tenant k's j-th emit is due at (j + k / tenants) * spreadMs / perTenant. */
  type Emitted = { runId: string; calledAt: number; returnedAt: number }
  const neighboursEmit = async (): Promise<Emitted[]> => {
    const gap = spreadMs / perTenant / tenants
    const started = performance.now()
    const emits: Promise<Emitted>[] = []
    for (let j = 0; j < perTenant; j++) {
      for (let k = 0; k < tenants; k++) {
        const wait = started + (j * tenants + k) * gap - performance.now()
        if (wait > 1) await sleep(wait)
        emits.push(emitOne(neighbours[k]!))
      }
    }
    return Promise.all(emits)
  }

  const latencyOf = async (emitted: Emitted[]): Promise<NeighbourLatency> => {
    await completions.until(emitted.map((e) => e.runId))
    const latencies = emitted.map(({ runId, calledAt }) => firstStartAt.get(runId)! - calledAt).sort((x, y) => x - y)
    const emitting = emitted.map(({ calledAt, returnedAt }) => returnedAt - calledAt).sort((x, y) => x - y)
    return {
      samples: latencies.length,
      p50Ms: round(percentile(latencies, 50), 1),
      p95Ms: round(percentile(latencies, 95), 1),
      maxMs: round(latencies.at(-1)!, 1),
      emitP50Ms: round(percentile(emitting, 50), 1),
      emitP95Ms: round(percentile(emitting, 95), 1),
    }
  }

  try {
    b.engine.register(wf)
    for (const tenantId of [FLOOD_TENANT, ...neighbours]) await b.engine.sync({ tenantId, workflows: [wf] })
    await b.engine.start()

    const warmup = await Promise.all([FLOOD_TENANT, ...neighbours].flatMap((tenantId) => Array.from({ length: WARMUP_PER_TENANT }, () => emitOne(tenantId))))
    await completions.until(warmup.map((e) => e.runId))

    const idle = await latencyOf(await neighboursEmit())

    const floodStarted = performance.now()
    const flood = async () => {
      const runIds: string[] = []
      for (let i = 0; i < floodRuns; i += FLOOD_BATCH) {
        const batch = await Promise.all(Array.from({ length: Math.min(FLOOD_BATCH, floodRuns - i) }, () => emitOne(FLOOD_TENANT)))
        for (const { runId } of batch) runIds.push(runId)
      }
      return { runIds, emittedAt: performance.now() }
    }
    // One process emits A's flood, the neighbours' runs and runs the handlers: how late its event
    // loop is tells how much of a neighbour's latency no queue order can take away.
    const lag = monitorEventLoopDelay({ resolution: 5 })
    lag.enable()
    const [floodEmitted, neighboursEmitted] = await Promise.all([flood(), neighboursEmit()])
    lag.disable()
    const busy = await latencyOf(neighboursEmitted)
    const floodEnded = await completions.until(floodEmitted.runIds)
    const seconds = (floodEnded - floodStarted) / 1000

    return {
      mode,
      concurrency,
      tenants,
      perTenant,
      spreadMs,
      idle,
      busy,
      p50Ratio: round(busy.p50Ms / idle.p50Ms, 1),
      p95Ratio: round(busy.p95Ms / idle.p95Ms, 1),
      busyEventLoopLagMs: { p50: round(lag.percentile(50) / 1e6, 1), p95: round(lag.percentile(95) / 1e6, 1) },
      busyEmitsDuringFloodEmits: neighboursEmitted.filter((e) => e.calledAt < floodEmitted.emittedAt).length,
      flood: { runs: floodRuns, emitSeconds: round((floodEmitted.emittedAt - floodStarted) / 1000, 2), seconds: round(seconds, 2), runsPerSecond: Math.round(floodRuns / seconds) },
    }
  } finally {
    await b.close()
  }
}

/**
 * Run completions as onRunComplete reports them. A run may complete before emit() has returned
 * its id, so completions are recorded by run id and waited for afterwards.
 */
function createCompletions() {
  const completedAt = new Map<string, number>()
  const waiters = new Set<() => void>()
  // The bench's handler cannot fail; a run that ends otherwise would leave the scenario waiting forever.
  let failure: Error | undefined
  return {
    record(runId: string, tenantId: string, status: string) {
      if (status === 'completed') completedAt.set(runId, performance.now())
      else failure ??= new Error(`run ${runId} of ${tenantId} ended ${status}`)
      for (const check of waiters) check()
    },
    /** Resolves, once every run in `runIds` has completed, with the time the last of them did. */
    until(runIds: string[]): Promise<number> {
      let checked = 0
      return new Promise((resolve, reject) => {
        const check = () => {
          if (failure) {
            waiters.delete(check)
            reject(failure)
            return
          }
          while (checked < runIds.length && completedAt.has(runIds[checked]!)) checked++
          if (checked < runIds.length) return
          waiters.delete(check)
          resolve(runIds.reduce((last, id) => Math.max(last, completedAt.get(id)!), 0))
        }
        waiters.add(check)
        check()
      })
    },
  }
}
