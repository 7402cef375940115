import { trigger, workflow } from '../../src/index.js'
import { benchEngine, round, type Mode } from '../support.js'

export interface ThroughputResult {
  mode: Mode | 'raw-bullmq'
  runs: number
  stepsPerRun: number
  concurrency: number
  seconds: number
  stepsPerSecond: number
  /** CPU time of this process (user + system) per step, in microseconds: where the engine's own cost shows. */
  cpuMicrosPerStep?: number
  /** With `telemetry: 'sdk'`: how many spans the SDK handed to its (discarding) exporter. */
  spansExported?: number
}

/** `'sdk'`: an OpenTelemetry SDK is registered, exporting to nowhere (see bench/otel-sdk.ts). */
export type BenchTelemetry = 'off' | 'sdk'

/** `runs` runs of `steps` trivial actions, all emitted at once, executed with the given concurrency. */
export async function engineThroughput(mode: Mode, runs: number, steps: number, concurrency: number, telemetry: BenchTelemetry = 'off'): Promise<ThroughputResult> {
  const sdk = telemetry === 'sdk' ? (await import('../otel-sdk.js')).registerNoopExportingSdk() : undefined
  const tick = trigger('bench.tick', { source: 'bench' })
  let chain = workflow('chain').on(tick).do('s0', () => undefined)
  for (let i = 1; i < steps; i++) chain = chain.do(`s${i}`, () => undefined)
  let completed = 0
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => (resolveDone = resolve))
  const b = await benchEngine(mode, {
    concurrency,
    onRunComplete: () => {
      if (++completed === runs) resolveDone()
    },
  })
  try {
    b.engine.register(chain)
    await b.engine.sync({ tenantId: 'bench', workflows: [chain] })
    await b.engine.start()
    const started = performance.now()
    const cpuBefore = process.cpuUsage()
    const emits: Promise<unknown>[] = []
    for (let i = 0; i < runs; i++) emits.push(b.engine.emit(tick, { tenantId: 'bench', payload: {} }))
    await Promise.all(emits)
    await done
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    await sdk?.shutdown()
    return {
      mode,
      runs,
      stepsPerRun: steps,
      concurrency,
      seconds: round(seconds, 2),
      stepsPerSecond: Math.round((runs * steps) / seconds),
      cpuMicrosPerStep: round((cpu.user + cpu.system) / (runs * steps), 1),
      ...(sdk ? { spansExported: sdk.spansExported() } : {}),
    }
  } finally {
    await b.close()
  }
}
