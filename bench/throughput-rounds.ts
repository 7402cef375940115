import { spreadOf } from './numbers.js'
import type { ThroughputResult } from './scenarios/throughput.js'

/** One contender in the throughput rounds; `run` measures it once, in a new process. */
export interface Side<K extends string> {
  key: K
  label: string
  run(): Promise<ThroughputResult>
}

/** A side's figures over all rounds. */
export interface ThroughputSummary {
  mode: ThroughputResult['mode']
  runs: number
  stepsPerRun: number
  concurrency: number
  /** The median over the rounds. */
  stepsPerSecond: number
  min: number
  max: number
  /** One figure per round, in round order. */
  perRound: number[]
}

/**
 * Measures every side once per round, `rounds` times. Odd rounds run the sides in reverse order,
 * so no side always goes first (on a cold Redis and Postgres) or always follows the same one.
 *
 * @example
 * const { raw } = await alternatingRounds([{ key: 'raw', label: 'raw BullMQ', run: () => inFreshProcess('raw-bullmq', args) }], 3, console.log)
 */
export async function alternatingRounds<K extends string>(sides: Side<K>[], rounds: number, log: (message: string) => void): Promise<Record<K, ThroughputSummary>> {
  const samples = new Map<K, ThroughputResult[]>(sides.map((side) => [side.key, []]))
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse()
    for (const side of order) {
      const result = await side.run()
      samples.get(side.key)!.push(result)
      log(`round ${round + 1}/${rounds}, ${side.label}: ${result.stepsPerSecond} steps/s`)
    }
  }
  const summaries = {} as Record<K, ThroughputSummary>
  for (const [key, results] of samples) {
    const perRound = results.map((r) => r.stepsPerSecond)
    const { median, min, max } = spreadOf(perRound)
    const { mode, runs, stepsPerRun, concurrency } = results[0]!
    summaries[key] = { mode, runs, stepsPerRun, concurrency, stepsPerSecond: median, min, max, perRound }
  }
  return summaries
}
