/**
 * `npm run bench`: pulse-engine beside raw BullMQ on the same machine and services, in one run.
 * Prints a table and writes the numbers to bench/results/<timestamp>.json.
 *
 *   npm run bench             full run (several minutes)
 *   npm run bench -- --quick  smaller workloads, under a minute
 *   npm run bench -- --smoke  tiny workloads: checks that every scenario runs, measures nothing
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { cliRead } from './scenarios/cli-read.js'
import { emitScaling } from './scenarios/emit-scaling.js'
import { stepLatency } from './scenarios/latency.js'
import { memoryWithDelayedRuns } from './scenarios/memory.js'
import { engineThroughput, rawBullmqThroughput } from './scenarios/throughput.js'
import { round } from './support.js'

const size = process.argv.includes('--smoke') ? 'smoke' : process.argv.includes('--quick') ? 'quick' : 'full'
const plan = {
  full: { runs: 2000, latencyRuns: 1000, defs: 100_000, perTenant: 1000, emits: 2000, memoryRuns: 10_000, memoryDelayMs: 20_000, pgRuns: 1000, embeddedRuns: 200, cliSamples: 9 },
  quick: { runs: 1000, latencyRuns: 100, defs: 20_000, perTenant: 1000, emits: 500, memoryRuns: 2000, memoryDelayMs: 6000, pgRuns: 300, embeddedRuns: 60, cliSamples: 5 },
  smoke: { runs: 20, latencyRuns: 10, defs: 200, perTenant: 20, emits: 20, memoryRuns: 20, memoryDelayMs: 500, pgRuns: 10, embeddedRuns: 5, cliSamples: 1 },
}[size]

const log = (message: string) => process.stderr.write(`bench: ${message}\n`)

log(`${size} run on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`)
log('raw BullMQ chain')
const raw = await rawBullmqThroughput(plan.runs, 5, 50)
log('engine, redis mode')
const redis = await engineThroughput('redis', plan.runs, 5, 50)
log('step latency at light load')
const latency = await stepLatency(plan.latencyRuns, 10)
// One run at a time: the floor under the figures above, with nothing else competing for the CPU.
const unloaded = await stepLatency(Math.min(100, plan.latencyRuns), 1)
log('emit against a growing definitions table')
const emit = await emitScaling(plan.defs, plan.perTenant, plan.emits)
log('memory with runs waiting in a delay')
const memory = await memoryWithDelayedRuns(plan.memoryRuns, plan.memoryDelayMs)
log('engine, postgres mode')
const postgres = await engineThroughput('postgres', plan.pgRuns, 5, 50)
log('engine, embedded mode')
const embedded = await engineThroughput('embedded', plan.embeddedRuns, 5, 20)
log('pulse runs on an embedded folder, alone and through an owner')
const cli = await cliRead(plan.cliSamples)

const ratio = round(redis.stepsPerSecond / raw.stepsPerSecond, 2)
const result = {
  size,
  at: new Date().toISOString(),
  machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  throughput: { rawBullmq: raw, redis, ratio, postgres, embedded },
  latency,
  unloaded,
  emit,
  memory,
  cli,
}

const rows: [string, string][] = [
  ['raw BullMQ chain (redis, concurrency 50)', `${raw.stepsPerSecond} steps/s`],
  ['pulse-engine, redis mode, every step persisted', `${redis.stepsPerSecond} steps/s (${ratio} x raw)`],
  ['pulse-engine, postgres mode', `${postgres.stepsPerSecond} steps/s (${postgres.runs} runs)`],
  ['pulse-engine, embedded mode', `${embedded.stepsPerSecond} steps/s (${embedded.runs} runs)`],
  ['step handoff p50 / p99 (10 runs in flight)', `${latency.handoffP50Ms} / ${latency.handoffP99Ms} ms`],
  ['emit -> first handler p50 / p99', `${latency.emitToFirstP50Ms} / ${latency.emitToFirstP99Ms} ms`],
  ['the same two with 1 run in flight, p50', `${unloaded.handoffP50Ms} / ${unloaded.emitToFirstP50Ms} ms`],
  [`emit, ${emit.small.definitions} definitions`, `${emit.small.signalsPerSecond}/s, p50 ${emit.small.p50Ms} ms, p99 ${emit.small.p99Ms} ms`],
  [`emit, ${emit.large.definitions} definitions`, `${emit.large.signalsPerSecond}/s, p50 ${emit.large.p50Ms} ms, p99 ${emit.large.p99Ms} ms (p99 x${emit.p99Growth})`],
  [`RSS: idle / ${memory.runs} runs delayed / after`, `${memory.baselineMb} / ${memory.waitingMb} / ${memory.afterMb} MB`],
  ['`pulse runs`, embedded: alone / through an owner, p50', `${cli.coldMs.p50} / ${cli.servedMs.p50} ms (max ${cli.coldMs.max} / ${cli.servedMs.max})`],
]
const width = Math.max(...rows.map(([k]) => k.length))
console.log(`\n${'measure'.padEnd(width)}  result`)
console.log(`${'-'.repeat(width)}  ${'-'.repeat(40)}`)
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)

const dir = join(import.meta.dirname, 'results')
await mkdir(dir, { recursive: true })
const file = join(dir, `${result.at.replace(/[:.]/g, '-')}-${size}.json`)
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`)
console.log(`\nwritten to ${file}`)
process.exit(0)
