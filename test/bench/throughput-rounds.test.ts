import { describe, expect, it } from 'vitest'
import { spreadOf } from '../../bench/numbers.js'
import type { ThroughputResult } from '../../bench/scenarios/throughput.js'
import { alternatingRounds } from '../../bench/throughput-rounds.js'

describe('bench throughput rounds', () => {
  it('reports the median of an odd count as its middle sample and of an even count as the mean of the two middle ones', () => {
    expect(spreadOf([3400, 2900, 3100])).toEqual({ median: 3100, min: 2900, max: 3400 })
    expect(spreadOf([4, 1, 3, 2], 1)).toEqual({ median: 2.5, min: 1, max: 4 })
    expect(spreadOf([0.456, 0.62, 0.5], 2)).toEqual({ median: 0.5, min: 0.46, max: 0.62 })
    expect(() => spreadOf([])).toThrow(/at least one sample/)
  })

  it('measures every side once per round, reverses the order on odd rounds and summarises each side over the rounds', async () => {
    const calls: string[] = []
    const figures: Record<'raw' | 'engine', number[]> = { raw: [8000, 9000, 7000], engine: [4000, 3000, 5000] }
    const side = (key: 'raw' | 'engine') => ({
      key,
      label: key,
      run: async (): Promise<ThroughputResult> => {
        calls.push(key)
        const stepsPerSecond = figures[key][calls.filter((c) => c === key).length - 1]!
        return { mode: key === 'raw' ? 'raw-bullmq' : 'redis', runs: 10, stepsPerRun: 5, concurrency: 50, seconds: 1, stepsPerSecond }
      },
    })
    const summaries = await alternatingRounds([side('raw'), side('engine')], 3, () => undefined)
    expect(calls).toEqual(['raw', 'engine', 'engine', 'raw', 'raw', 'engine'])
    expect(summaries.raw).toEqual({ mode: 'raw-bullmq', runs: 10, stepsPerRun: 5, concurrency: 50, stepsPerSecond: 8000, min: 7000, max: 9000, perRound: [8000, 9000, 7000] })
    expect(summaries.engine).toMatchObject({ mode: 'redis', stepsPerSecond: 4000, min: 3000, max: 5000, perRound: [4000, 3000, 5000] })
  })
})
