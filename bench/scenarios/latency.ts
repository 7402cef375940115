import { trigger, workflow } from '../../src/index.js'
import { benchEngine, percentile, round } from '../support.js'

export interface LatencyResult {
  runs: number
  inFlight: number
  handoffP50Ms: number
  handoffP99Ms: number
  emitToFirstP50Ms: number
  emitToFirstP99Ms: number
}

const WARMUP_RUNS = 20

/**
 * Light load: `inFlight` runs of five steps at a time, a new one emitted as each finishes. Measures
 * the gap between one step's handler returning and the next step's handler starting, and between
 * calling emit() and the first handler starting. `WARMUP_RUNS` untimed runs go first.
 */
export async function stepLatency(totalRuns: number, inFlight: number): Promise<LatencyResult> {
  const tick = trigger('bench.latency', { source: 'bench' })
  const ends = new Map<string, number>()
  const handoffs: number[] = []
  const firstStarts: number[] = []
  const firstStartAt = new Map<string, number>()
  const waiting = new Map<string, () => void>()
  // A run can finish before emit() has returned its trigger id to the lane.
  const early = new Set<string>()
  const step = (i: number) => (ctx: { run: { id: string; triggerId: string } }) => {
    const now = performance.now()
    if (i === 0) {
      firstStartAt.set(ctx.run.triggerId, now)
    } else {
      const prev = ends.get(ctx.run.id)
      if (prev !== undefined) handoffs.push(now - prev)
    }
    ends.set(ctx.run.id, performance.now())
  }
  let chain = workflow('latency').on(tick).do('l0', step(0))
  for (let i = 1; i < 5; i++) chain = chain.do(`l${i}`, step(i))
  const b = await benchEngine('redis', {
    // A run continues in the worker slot that started it, so slots must outnumber runs in flight.
    concurrency: 50,
    onRunComplete: ({ run }) => {
      const resolve = waiting.get(run.triggerId)
      if (resolve) resolve()
      else early.add(run.triggerId)
    },
  })
  try {
    b.engine.register(chain)
    await b.engine.sync({ tenantId: 'bench', workflows: [chain] })
    await b.engine.start()
    let emitted = 0
    let target = 0
    const lane = async () => {
      while (emitted < target) {
        emitted++
        const started = performance.now()
        const envelope = await b.engine.emit(tick, { tenantId: 'bench', payload: {} })
        if (!early.has(envelope.id)) await new Promise<void>((resolve) => waiting.set(envelope.id, resolve))
        const first = firstStartAt.get(envelope.id)
        if (first !== undefined) firstStarts.push(first - started)
      }
    }
    const drive = async (runs: number) => {
      emitted = 0
      target = runs
      await Promise.all(Array.from({ length: inFlight }, lane))
    }
    // Untimed runs first: the bench starts each scenario in a new process, and its first runs pay
    // for the JIT, the pool's connections and the statements' first plans, not for a handoff.
    await drive(Math.min(totalRuns, WARMUP_RUNS))
    handoffs.length = 0
    firstStarts.length = 0
    await drive(totalRuns)
    handoffs.sort((x, y) => x - y)
    firstStarts.sort((x, y) => x - y)
    return {
      runs: totalRuns,
      inFlight,
      handoffP50Ms: round(percentile(handoffs, 50), 2),
      handoffP99Ms: round(percentile(handoffs, 99), 2),
      emitToFirstP50Ms: round(percentile(firstStarts, 50), 2),
      emitToFirstP99Ms: round(percentile(firstStarts, 99), 2),
    }
  } finally {
    await b.close()
  }
}
