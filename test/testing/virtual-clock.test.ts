import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { PulseStateError, PulseValidationError, trigger, workflow } from '../../src/index.js'
import { assertRunStatus, assertTimeline, createTestEngine, type TestEngine } from '../../src/testing/index.js'

const START = '2026-03-01T00:00:00.000Z'
const DAY = 86_400_000

const renewal = trigger('kit.renewal.due', { source: 'billing', payload: z.object({ accountId: z.string() }) })
const report = trigger('kit.report.due', { source: 'reports' })

let seen: { step: string; now: string }[] = []

const twelveMonths = workflow('kit-twelve-months')
  .on(renewal)
  .delay('30d', { name: 'month_1' })
  .delay('30d', { name: 'month_2' })
  .delay('30d', { name: 'month_3' })
  .delay('30d', { name: 'month_4' })
  .delay('30d', { name: 'month_5' })
  .delay('30d', { name: 'month_6' })
  .delay('30d', { name: 'month_7' })
  .delay('30d', { name: 'month_8' })
  .delay('30d', { name: 'month_9' })
  .delay('30d', { name: 'month_10' })
  .delay('30d', { name: 'month_11' })
  .delay('30d', { name: 'month_12' })
  .do('renew', (ctx) => ({ success: true, data: { at: ctx.now().toISOString() } }))

const daily = workflow('kit-daily-report')
  .on(report)
  .cron('0 2 * * *', { timezone: 'UTC' })
  .do('build_report', (ctx) => {
    seen.push({ step: 'build_report', now: ctx.now().toISOString() })
  })

const flaky = workflow('kit-flaky-charge')
  .on(renewal)
  .do('charge', () => ({ success: true, data: { charged: true } }), { retry: { maxAttempts: 3, backoff: '5s' } })

describe('the virtual clock', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.stop()
    t = undefined
    seen = []
  })

  it('runs twelve 30-day delays in a row to the exact day, handlers and the database seeing the virtual time', async () => {
    t = await createTestEngine({ workflows: [twelveMonths], now: START })
    const { runs } = await t.emit(renewal, { payload: { accountId: 'a1' } })
    const runId = runs[0]!.runId
    expect((await t.run(runId)).step('month_1')!.status).toBe('scheduled')

    await t.advance('359d')
    expect((await t.run(runId)).run.status).toBe('waiting')
    await t.advance('1d')

    const done = await t.run(runId)
    assertRunStatus(done, 'completed')
    const end = new Date(Date.parse(START) + 360 * DAY)
    expect(t.now()).toEqual(end)
    expect(done.output('renew')).toEqual({ at: end.toISOString() })
    // Written by SQL now(): the run started at the virtual start and ended 360 days later.
    expect(done.run.createdAt).toEqual(new Date(START))
    expect(done.run.completedAt).toEqual(end)
    expect(done.step('month_12')!.scheduledFor).toEqual(end)
  })

  it('starts exactly 7 runs of a daily cron in 7 days, each with its tick time', async () => {
    t = await createTestEngine({ workflows: [daily], now: START })
    await t.advance('7d')
    const runs = await t.engine.listRuns({ workflowKey: 'kit-daily-report' })
    expect(runs).toHaveLength(7)
    const ticks = Array.from({ length: 7 }, (_, i) => new Date(Date.parse(START) + i * DAY + 2 * 3_600_000).toISOString())
    const signals = await Promise.all(runs.map(async (run) => (await t!.engine.getTrigger(run.triggerId))!.payload.scheduledAt))
    expect(signals.sort()).toEqual(ticks)
    expect(seen.map((s) => s.now).sort()).toEqual(ticks)
    expect(runs.every((run) => run.status === 'completed')).toBe(true)
  })

  it('waits out retry backoffs only when the clock is advanced past them', async () => {
    t = await createTestEngine({ workflows: [flaky], now: START })
    t.failNext('charge', 2, new Error('card network down'))
    const { runs } = await t.emit(renewal, { payload: { accountId: 'a1' } })
    const runId = runs[0]!.runId

    let report = await t.run(runId)
    expect(report.step('charge')).toMatchObject({ status: 'scheduled', attempt: 1, scheduledFor: new Date(Date.parse(START) + 5000) })
    await t.advance('4999ms')
    expect((await t.run(runId)).step('charge')!.attempt).toBe(1)
    await t.advance('1ms')
    report = await t.run(runId)
    // The second attempt failed too: the backoff doubles.
    expect(report.step('charge')).toMatchObject({ status: 'scheduled', attempt: 2, scheduledFor: new Date(Date.parse(START) + 15_000) })
    await t.advance('10s')
    report = await t.run(runId)
    assertRunStatus(report, 'completed')
    expect(report.step('charge')!.attempt).toBe(3)
    expect(report.logs.map((l) => [l.level, l.message, l.data?.error])).toEqual([
      ['warn', 'attempt 1 of 3 failed; retrying in 5000 ms', 'card network down'],
      ['warn', 'attempt 2 of 3 failed; retrying in 10000 ms', 'card network down'],
    ])
    assertTimeline(report, ['run_created', 'step_completed charge', 'run_completed'])
  })

  it('refuses negative and malformed durations, and any use after stop()', async () => {
    t = await createTestEngine({ now: START })
    await expect(t.advance(-1)).rejects.toThrow(PulseValidationError)
    await expect(t.advance('-3d')).rejects.toThrow(/duration "-3d" is not valid/)
    await expect(t.advance('3 days' as '3d')).rejects.toThrow(PulseValidationError)
    expect(t.now()).toEqual(new Date(START))
    await t.stop()
    await expect(t.advance('1d')).rejects.toThrow(PulseStateError)
    await expect(t.runUntilIdle()).rejects.toThrow(/this test engine was stopped/)
    expect(() => t!.mock('anything', () => undefined)).toThrow(PulseStateError)
    t = undefined
  })
})
