/**
 * Every bench scenario by name, with the arguments it takes. The bench runs each one in a new
 * process of its own (bench/scenario-entry.ts); each entry imports its scenario only when called,
 * so a process loads the modules of its own scenario and no other (the raw BullMQ chain never
 * loads the engine).
 */
import type { NoisyNeighbourArgs } from './scenarios/noisy-neighbour.js'
import type { BenchTelemetry } from './scenarios/throughput.js'
import type { Mode } from './support.js'

interface ThroughputArgs {
  runs: number
  steps: number
  concurrency: number
}

export const scenarios = {
  'raw-bullmq': async (a: ThroughputArgs) => (await import('./scenarios/raw-bullmq.js')).rawBullmqThroughput(a.runs, a.steps, a.concurrency),
  engine: async (a: ThroughputArgs & { mode: Mode; telemetry?: BenchTelemetry }) =>
    (await import('./scenarios/throughput.js')).engineThroughput(a.mode, a.runs, a.steps, a.concurrency, a.telemetry),
  latency: async (a: { runs: number; inFlight: number }) => (await import('./scenarios/latency.js')).stepLatency(a.runs, a.inFlight),
  'emit-scaling': async (a: { definitions: number; perTenant: number; emits: number }) =>
    (await import('./scenarios/emit-scaling.js')).emitScaling(a.definitions, a.perTenant, a.emits),
  memory: async (a: { runs: number; delayMs: number }) => (await import('./scenarios/memory.js')).memoryWithDelayedRuns(a.runs, a.delayMs),
  'noisy-neighbour': async (a: NoisyNeighbourArgs) => (await import('./scenarios/noisy-neighbour.js')).noisyNeighbour(a),
  'cli-read': async (a: { samples: number; seedRun?: boolean }) => (await import('./scenarios/cli-read.js')).cliRead(a.samples, a.seedRun),
}

export type ScenarioName = keyof typeof scenarios
export type ScenarioArgs<N extends ScenarioName> = Parameters<(typeof scenarios)[N]>[0]
export type ScenarioResult<N extends ScenarioName> = Awaited<ReturnType<(typeof scenarios)[N]>>

export const isScenario = (name: string | undefined): name is ScenarioName => name !== undefined && Object.hasOwn(scenarios, name)

/** Marks the line of a scenario process's stdout that carries its result, so stray output cannot be mistaken for it. */
export const RESULT_MARK = 'bench-result '
