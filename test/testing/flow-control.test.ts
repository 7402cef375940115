import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { trigger, workflow } from '../../src/index.js'
import { assertRunStatus, createTestEngine, type TestEngine } from '../../src/testing/index.js'

const START = '2026-03-01T00:00:00.000Z'
const exportRequested = trigger('kit.export.requested', { source: 'app', payload: z.object({ accountId: z.string() }) })

const oneAtATime = workflow('kit-one-export-at-a-time')
  .on(exportRequested)
  .concurrency({ limit: 1, key: 'payload.accountId' })
  .delay('1d', { name: 'build' })
  .do('deliver', (ctx) => ({ success: true, data: { at: ctx.now().toISOString() } }))

const hourly = workflow('kit-hourly-export')
  .on(exportRequested)
  .throttle({ limit: 1, per: '1h' })
  .do('deliver', (ctx) => ({ success: true, data: { at: ctx.now().toISOString() } }))

const settled = workflow('kit-settled-export')
  .on(exportRequested)
  .debounce({ wait: '5m', key: 'payload.accountId' })
  .do('deliver', (ctx) => ({ success: true, data: { at: ctx.now().toISOString() } }))

const at = (ms: number) => new Date(Date.parse(START) + ms).toISOString()

describe('flow control on the virtual clock', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.stop()
    t = undefined
  })

  it('holds a second run for its slot until the first one, a day long, ends', async () => {
    t = await createTestEngine({ workflows: [oneAtATime], now: START })
    const first = (await t.emit(exportRequested, { payload: { accountId: 'a1' } })).runs[0]!.runId
    const second = (await t.emit(exportRequested, { payload: { accountId: 'a1' } })).runs[0]!.runId
    expect((await t.run(second)).run).toMatchObject({ status: 'pending', heldBy: 'concurrency' })
    await t.advance('1d')
    assertRunStatus(await t.run(first), 'completed')
    expect((await t.run(second)).step('build')!.status).toBe('scheduled')
    await t.advance('1d')
    const report = await t.run(second)
    assertRunStatus(report, 'completed')
    expect(report.output('deliver')).toEqual({ at: at(2 * 86_400_000) })
  })

  it('starts a throttled run when its hour comes', async () => {
    t = await createTestEngine({ workflows: [hourly], now: START })
    const first = (await t.emit(exportRequested, { payload: { accountId: 'a1' } })).runs[0]!.runId
    const second = (await t.emit(exportRequested, { payload: { accountId: 'a2' } })).runs[0]!.runId
    assertRunStatus(await t.run(first), 'completed')
    expect((await t.engine.getRun(first))!.heldBy).toBeUndefined()
    // Held back until its allotted start, an hour of the test's clock away (the real clock is months later).
    expect(await t.engine.getRun(second)).toMatchObject({ status: 'pending', heldBy: 'throttle' })
    await t.advance('1h')
    const report = await t.run(second)
    assertRunStatus(report, 'completed')
    expect(report.run.heldBy).toBeUndefined()
    expect(report.output('deliver')).toEqual({ at: at(3_600_000) })
  })

  it('folds signals within the debounce window into one run after the quiet period', async () => {
    t = await createTestEngine({ workflows: [settled], now: START })
    await t.emit(exportRequested, { payload: { accountId: 'a1' } })
    await t.advance('2m')
    await t.emit(exportRequested, { payload: { accountId: 'a1' } })
    expect((await t.engine.listRuns({ workflowKey: 'kit-settled-export' })).map((r) => [r.status, r.heldBy])).toEqual([['pending', 'debounce']])
    await t.advance('10m')
    const runs = await t.engine.listRuns({ workflowKey: 'kit-settled-export' })
    expect(runs).toHaveLength(1)
    const report = await t.run(runs[0]!.id)
    assertRunStatus(report, 'completed')
    expect(report.run.heldBy).toBeUndefined()
    expect(report.output('deliver')).toEqual({ at: at(7 * 60_000) })
  })
})
