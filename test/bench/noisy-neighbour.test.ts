import { describe, expect, it } from 'vitest'
import { inFreshProcess } from '../../bench/fresh-process.js'
import { servicesMissing } from '../support/services.js'

/** The scenario's figures are for people; what is checked is that it runs and reports every run it emitted. */
describe.skipIf(servicesMissing())('bench scenario noisy-neighbour', () => {
  it.each(['redis', 'postgres'] as const)('measures every neighbour run in both phases and tenant A’s flood, %s mode', async (mode) => {
    const args = { mode, floodRuns: 120, tenants: 3, perTenant: 4, spreadMs: 200, concurrency: 50 }
    const result = await inFreshProcess('noisy-neighbour', args)

    expect(result).toMatchObject({ mode, concurrency: 50, tenants: 3, perTenant: 4, spreadMs: 200 })
    expect(Object.keys(result).sort()).toEqual(['busy', 'busyEmitsDuringFloodEmits', 'busyEventLoopLagMs', 'concurrency', 'flood', 'idle', 'mode', 'p50Ratio', 'p95Ratio', 'perTenant', 'spreadMs', 'tenants'])
    for (const phase of [result.idle, result.busy]) {
      expect(phase.samples).toBe(12)
      expect(phase.p50Ms).toBeGreaterThan(0)
      expect(phase.p50Ms).toBeLessThanOrEqual(phase.p95Ms)
      expect(phase.p95Ms).toBeLessThanOrEqual(phase.maxMs)
      expect(phase.emitP50Ms).toBeGreaterThan(0)
      expect(phase.emitP50Ms).toBeLessThanOrEqual(phase.emitP95Ms)
    }
    expect(result.busyEventLoopLagMs.p50).toBeLessThanOrEqual(result.busyEventLoopLagMs.p95)
    expect(result.p95Ratio).toBeCloseTo(result.busy.p95Ms / result.idle.p95Ms, 0)
    expect(result.busyEmitsDuringFloodEmits).toBeGreaterThanOrEqual(0)
    expect(result.busyEmitsDuringFloodEmits).toBeLessThanOrEqual(12)
    expect(result.flood.runs).toBe(120)
    expect(result.flood.emitSeconds).toBeLessThanOrEqual(result.flood.seconds)
    // seconds is rounded to hundredths, so runs/s times seconds gives back the runs only roughly.
    expect(Math.abs((result.flood.runsPerSecond * result.flood.seconds) / 120 - 1)).toBeLessThan(0.05)
  }, 60_000)
})
