/**
 * Tests of the trial-expiration workflow with pulse-engine/testing: the real engine, its three-day
 * delay passed on a virtual clock, in well under a second and without mocking the engine.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertRunStatus, assertStepStatus, assertTimeline, createTestEngine, prepareTestDatabase, type TestEngine } from 'pulse-engine/testing'
import { downgrade, trialExpiration, trialExpiring } from './trial-expiration.js'

// The template database, built (or loaded) before the first test rather than inside its timeout.
beforeAll(() => prepareTestDatabase(), 60_000)

describe('trial expiration', () => {
  let t: TestEngine
  afterEach(() => t.stop())

  it('warns, waits three days, then downgrades a customer still on a trial and tells sales', async () => {
    t = await createTestEngine({ workflows: [trialExpiration], now: '2026-05-01T09:00:00.000Z' })
    const { runs } = await t.emit(trialExpiring, { payload: { email: 'ada@example.com', plan: 'trial' } })
    const runId = runs[0]!.runId

    let report = await t.run(runId)
    assertStepStatus(report, 'send_trial_warning', 'completed')
    assertStepStatus(report, 'wait_3_days', 'scheduled')

    await t.advance('3d')
    report = await t.run(runId)
    assertRunStatus(report, 'completed')
    expect(report.output('downgrade_to_free')).toEqual({ plan: 'free' })
    expect(report.output('send_trial_warning')).toEqual({ template: 'trial-expiring', sentAt: '2026-05-01T09:00:00.000Z' })
    expect(report.step('still_on_trial')!.completedAt).toEqual(new Date('2026-05-04T09:00:00.000Z'))
    expect(report.logs.map((l) => l.message).sort()).toEqual(['plan changed', 'sales notified', 'warning email queued'])
    assertTimeline(report, ['step_completed send_trial_warning', 'step_completed wait_3_days', 'step_completed still_on_trial', 'step_completed wrap_up', 'run_completed'])
  })

  it('ends after the check for a customer who paid', async () => {
    t = await createTestEngine({ workflows: [trialExpiration] })
    const { runs } = await t.emit(trialExpiring, { payload: { email: 'grace@example.com', plan: 'pro' } })
    await t.advance('3d')
    const report = await t.run(runs[0]!.runId)
    assertRunStatus(report, 'completed')
    expect(report.statuses()).toEqual({ send_trial_warning: 'completed', wait_3_days: 'completed', still_on_trial: 'completed' })
  })

  it('retries the downgrade after a minute when the billing call fails once', async () => {
    t = await createTestEngine({ workflows: [trialExpiration] })
    t.failNext(downgrade, 1, new Error('billing API returned 503'))
    const { runs } = await t.emit(trialExpiring, { payload: { email: 'ada@example.com', plan: 'trial' } })
    await t.advance('3d')
    let report = await t.run(runs[0]!.runId)
    assertStepStatus(report, 'downgrade_to_free', 'scheduled')
    assertStepStatus(report, 'notify_sales', 'completed')
    await t.advance('1m')
    report = await t.run(runs[0]!.runId)
    assertRunStatus(report, 'completed')
    expect(report.step('downgrade_to_free')!.attempt).toBe(2)
  })

  it('does not downgrade a customer whose plan a mock says changed meanwhile', async () => {
    t = await createTestEngine({ workflows: [trialExpiration] })
    t.mock('still_on_trial', () => false)
    const { runs } = await t.emit(trialExpiring, { payload: { email: 'ada@example.com', plan: 'trial' } })
    await t.advance('3d')
    const report = await t.run(runs[0]!.runId)
    assertRunStatus(report, 'completed')
    expect(report.step('downgrade_to_free')).toBeUndefined()
  })
})
