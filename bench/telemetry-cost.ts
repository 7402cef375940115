/**
 * What OpenTelemetry costs per step, in redis mode: the throughput scenario without an SDK and
 * with one registered whose exporters drop everything (bench/otel-sdk.ts), alternating, each
 * measurement in a fresh process. Reports throughput and this process's CPU time per step for
 * both, and the difference. Short on purpose; run it on a quiet machine.
 *
 *   node --expose-gc --import tsx bench/telemetry-cost.ts                 3 rounds of 1000 runs x 5 steps
 *   node --expose-gc --import tsx bench/telemetry-cost.ts --rounds 5 --runs 2000
 */
import { inFreshProcess } from './fresh-process.js'
import { round, spreadOf } from './numbers.js'
import type { BenchTelemetry, ThroughputResult } from './scenarios/throughput.js'

const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`)
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1`)
  return value
}
const rounds = option('rounds', 3)
const runs = option('runs', 1000)
const steps = 5
const log = (message: string) => process.stderr.write(`bench: ${message}\n`)

const sides: BenchTelemetry[] = ['off', 'sdk']
const samples: Record<BenchTelemetry, ThroughputResult[]> = { off: [], sdk: [] }
for (let r = 0; r < rounds; r++) {
  for (const telemetry of r % 2 === 0 ? sides : [...sides].reverse()) {
    const result = await inFreshProcess('engine', { mode: 'redis', runs, steps, concurrency: 50, telemetry })
    samples[telemetry].push(result)
    log(`round ${r + 1}/${rounds}, telemetry ${telemetry}: ${result.stepsPerSecond} steps/s, ${result.cpuMicrosPerStep} µs CPU per step${result.spansExported === undefined ? '' : `, ${result.spansExported} spans`}`)
  }
}
const summary = (telemetry: BenchTelemetry) => ({
  stepsPerSecond: spreadOf(samples[telemetry].map((s) => s.stepsPerSecond)),
  cpuMicrosPerStep: spreadOf(samples[telemetry].map((s) => s.cpuMicrosPerStep ?? NaN), 1),
})
/**
 * The engine's own telemetry code and the SDK's span handling for one step, without the engine
 * around it: `pulse.step` spans started and ended in a loop, in this process, through the same
 * no-op-exporting SDK. What the end-to-end figures add beyond this is the SDK's memory held
 * between exports (more GC) and the changed interleaving of a busy process.
 */
async function isolatedSpanMicros(): Promise<number> {
  const api = await import('@opentelemetry/api')
  const { createTracing } = await import('../src/telemetry/tracer.js')
  const sdk = (await import('./otel-sdk.js')).registerNoopExportingSdk()
  const tracing = createTracing(api, { mode: 'redis', payloadAttributes: false })
  const claim = {
    run: { id: 'run_x', tenantId: 'bench', definitionId: 'wfd_x', isReplay: false, definitionSnapshot: { key: 'chain', name: 'chain', version: 1 }, traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } },
    step: { id: 'stp_x', stepName: 's0', stepType: 'action', attempt: 1, createdAt: new Date() },
  } as unknown as Parameters<typeof tracing.step>[1]
  const spans = 50_000
  let micros = 0
  for (const pass of ['warm-up', 'measured']) {
    const before = process.cpuUsage()
    for (let i = 0; i < spans; i++) tracing.step(tracing.current()!, claim).end({ kind: 'completed' })
    const cpu = process.cpuUsage(before)
    if (pass === 'measured') micros = (cpu.user + cpu.system) / spans
  }
  await sdk.shutdown()
  return round(micros, 1)
}

const off = summary('off')
const sdk = summary('sdk')
const result = {
  rounds,
  runs,
  steps,
  off,
  sdk,
  // Per step, from the medians: the CPU this process spends more, and the wall time per step more.
  cpuMicrosPerStepAdded: round(sdk.cpuMicrosPerStep.median - off.cpuMicrosPerStep.median, 1),
  wallMicrosPerStepAdded: round(1e6 / sdk.stepsPerSecond.median - 1e6 / off.stepsPerSecond.median, 1),
  isolatedSpanCpuMicros: await isolatedSpanMicros(),
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
