/**
 * `npm run bench`: pulse-engine beside raw BullMQ on the same machine and services, in one run.
 * Prints a table and writes the numbers to bench/results/<timestamp>.json.
 *
 *   npm run bench               full run (several minutes)
 *   npm run bench -- --quick    smaller workloads, under two minutes
 *   npm run bench -- --smoke    tiny workloads, one round: checks that every scenario runs, measures nothing
 *   npm run bench -- --rounds 7 throughput rounds (default 5 full, 3 quick, 1 smoke)
 *
 * Every measurement runs in a new Node process of its own (bench/scenario-entry.ts), started with
 * the same flags; this process only starts them, one at a time, and reports. The throughput sides
 * (raw BullMQ chain and the engine in each mode) are measured once per round, alternating, and
 * reported as the median and range over the rounds; the engine's ratio to raw BullMQ is the ratio
 * of the medians.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { inFreshProcess } from './fresh-process.js'
import { round, spreadOf } from './numbers.js'
import { alternatingRounds } from './throughput-rounds.js'

const size = process.argv.includes('--smoke') ? 'smoke' : process.argv.includes('--quick') ? 'quick' : 'full'
const plan = {
  full: { rounds: 5, runs: 2000, latencyRuns: 1000, defs: 100_000, perTenant: 1000, emits: 2000, memoryRuns: 10_000, memoryDelayMs: 20_000, pgRuns: 1000, embeddedRuns: 200, cliSamples: 9, floodRuns: 20_000, neighbourRuns: 100, neighbourSpreadMs: 3000 },
  quick: { rounds: 3, runs: 1000, latencyRuns: 100, defs: 20_000, perTenant: 1000, emits: 500, memoryRuns: 2000, memoryDelayMs: 6000, pgRuns: 300, embeddedRuns: 60, cliSamples: 5, floodRuns: 5000, neighbourRuns: 50, neighbourSpreadMs: 3000 },
  smoke: { rounds: 1, runs: 20, latencyRuns: 10, defs: 200, perTenant: 20, emits: 20, memoryRuns: 20, memoryDelayMs: 500, pgRuns: 10, embeddedRuns: 5, cliSamples: 1, floodRuns: 200, neighbourRuns: 5, neighbourSpreadMs: 300 },
}[size]
const rounds = roundsArgument() ?? plan.rounds

const log = (message: string) => process.stderr.write(`bench: ${message}\n`)

log(`${size} run on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${rounds} throughput round${rounds === 1 ? '' : 's'}`)
const steps = 5
const sides = await alternatingRounds(
  [
    // Raw BullMQ and redis mode sit next to each other in every round, so each round's ratio compares neighbours.
    { key: 'rawBullmq', label: 'raw BullMQ chain', run: () => inFreshProcess('raw-bullmq', { runs: plan.runs, steps, concurrency: 50 }) },
    { key: 'redis', label: 'engine, redis mode', run: () => inFreshProcess('engine', { mode: 'redis', runs: plan.runs, steps, concurrency: 50 }) },
    { key: 'postgres', label: 'engine, postgres mode', run: () => inFreshProcess('engine', { mode: 'postgres', runs: plan.pgRuns, steps, concurrency: 50 }) },
    { key: 'embedded', label: 'engine, embedded mode', run: () => inFreshProcess('engine', { mode: 'embedded', runs: plan.embeddedRuns, steps, concurrency: 20 }) },
  ],
  rounds,
  log,
)
const { rawBullmq: raw, redis, postgres, embedded } = sides
const ratio = round(redis.stepsPerSecond / raw.stepsPerSecond, 2)
const roundRatios = redis.perRound.map((engine, i) => round(engine / raw.perRound[i]!, 2))
const ratioPerRound = { ...spreadOf(roundRatios, 2), values: roundRatios }

log('step latency at light load')
const latency = await inFreshProcess('latency', { runs: plan.latencyRuns, inFlight: 10 })
// One run at a time: the floor under the figures above, with nothing else competing for the CPU.
const unloaded = await inFreshProcess('latency', { runs: Math.min(100, plan.latencyRuns), inFlight: 1 })
log('emit against a growing definitions table')
const emit = await inFreshProcess('emit-scaling', { definitions: plan.defs, perTenant: plan.perTenant, emits: plan.emits })
log('memory with runs waiting in a delay')
const memory = await inFreshProcess('memory', { runs: plan.memoryRuns, delayMs: plan.memoryDelayMs })
log('noisy neighbour: nine tenants emitting while tenant A floods')
const neighbours = { tenants: 9, perTenant: plan.neighbourRuns, spreadMs: plan.neighbourSpreadMs, floodRuns: plan.floodRuns, concurrency: 50 }
const noisy = {
  redis: await inFreshProcess('noisy-neighbour', { mode: 'redis', ...neighbours }),
  postgres: await inFreshProcess('noisy-neighbour', { mode: 'postgres', ...neighbours }),
}
log('pulse runs on an embedded folder, alone and through an owner')
const cli = await inFreshProcess('cli-read', { samples: plan.cliSamples, seedRun: size !== 'smoke' })

const result = {
  size,
  at: new Date().toISOString(),
  machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  throughput: { rounds, rawBullmq: raw, redis, ratio, ratioPerRound, postgres, embedded },
  latency,
  unloaded,
  emit,
  memory,
  noisy,
  cli,
}

const spread = (s: { stepsPerSecond: number; min: number; max: number }) => `${s.stepsPerSecond} steps/s (${s.min} – ${s.max})`
const rows: [string, string][] = [
  ['raw BullMQ chain (redis, concurrency 50)', spread(raw)],
  ['pulse-engine, redis mode, every step persisted', spread(redis)],
  ['redis mode / raw BullMQ: of the medians (per round)', `${ratio} x (${ratioPerRound.min} – ${ratioPerRound.max})`],
  [`pulse-engine, postgres mode (${postgres.runs} runs)`, spread(postgres)],
  [`pulse-engine, embedded mode (${embedded.runs} runs)`, spread(embedded)],
  ['step handoff p50 / p99 (10 runs in flight)', `${latency.handoffP50Ms} / ${latency.handoffP99Ms} ms`],
  ['emit -> first handler p50 / p99', `${latency.emitToFirstP50Ms} / ${latency.emitToFirstP99Ms} ms`],
  ['the same two with 1 run in flight, p50', `${unloaded.handoffP50Ms} / ${unloaded.emitToFirstP50Ms} ms`],
  [`emit, ${emit.small.definitions} definitions`, `${emit.small.signalsPerSecond}/s, p50 ${emit.small.p50Ms} ms, p99 ${emit.small.p99Ms} ms`],
  [`emit, ${emit.large.definitions} definitions`, `${emit.large.signalsPerSecond}/s, p50 ${emit.large.p50Ms} ms, p99 ${emit.large.p99Ms} ms (p99 x${emit.p99Growth})`],
  [`RSS: idle / ${memory.runs} runs delayed / after`, `${memory.baselineMb} / ${memory.waitingMb} / ${memory.afterMb} MB`],
  ...(['redis', 'postgres'] as const).flatMap((mode): [string, string][] => {
    const n = noisy[mode]
    return [
      [`noisy neighbour, ${mode}: ${n.tenants} tenants' emit -> handler, A idle`, `p50 ${n.idle.p50Ms} / p95 ${n.idle.p95Ms} ms`],
      [`  the same while tenant A emits ${n.flood.runs} runs`, `p50 ${n.busy.p50Ms} / p95 ${n.busy.p95Ms} ms (x${n.p50Ratio} / x${n.p95Ratio}; ${n.busyEmitsDuringFloodEmits} of ${n.busy.samples} emitted while A emitted)`],
      [`  tenant A, first emit -> last run completed`, `${n.flood.runsPerSecond} runs/s (${n.flood.seconds} s, its emits ${n.flood.emitSeconds} s)`],
    ]
  }),
  ['`pulse runs`, embedded: alone / through an owner, p50', `${cli.coldMs.p50} / ${cli.servedMs.p50} ms (max ${cli.coldMs.max} / ${cli.servedMs.max})`],
]
const width = Math.max(...rows.map(([k]) => k.length))
console.log(`\nthroughput: median (min – max) of ${rounds} round${rounds === 1 ? '' : 's'}, each side in a new process, alternating`)
console.log(`\n${'measure'.padEnd(width)}  result`)
console.log(`${'-'.repeat(width)}  ${'-'.repeat(40)}`)
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)

const dir = join(import.meta.dirname, 'results')
await mkdir(dir, { recursive: true })
const file = join(dir, `${result.at.replace(/[:.]/g, '-')}-${size}.json`)
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`)
console.log(`\nwritten to ${file}`)

/** `--rounds N` or `--rounds=N`; undefined when absent. */
function roundsArgument(): number | undefined {
  const at = process.argv.findIndex((a) => a === '--rounds' || a.startsWith('--rounds='))
  if (at === -1) return undefined
  const text = process.argv[at].includes('=') ? process.argv[at].split('=')[1] : process.argv[at + 1]
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench: --rounds takes a whole number of at least 1, got "${text ?? ''}"\n`)
    process.exit(2)
  }
  return n
}
