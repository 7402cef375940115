/**
 * Tests of the incident workflow (examples/incident.ts) with pulse-engine/testing.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertRunStatus, assertTimeline, createTestEngine, prepareTestDatabase, type TestEngine } from 'pulse-engine/testing'
import { createIncident, heartbeatMissed, incident, stillDown } from './incident.js'

const missed = { resourceId: 'api', environment: 'production', payload: { lastSeenAt: '2026-05-01T08:59:00.000Z' } }

// The template database, built (or loaded) before the first test rather than inside its timeout.
beforeAll(() => prepareTestDatabase(), 60_000)

describe('incident on missed heartbeat', () => {
  let t: TestEngine
  afterEach(() => t.stop())

  it('opens an incident after five minutes, pages and notifies email and Slack side by side', async () => {
    t = await createTestEngine({ workflows: [incident], now: '2026-05-01T09:00:00.000Z' })
    const { runs } = await t.emit(heartbeatMissed, missed)
    expect((await t.run(runs[0]!.runId)).run.status).toBe('waiting')
    await t.advance('5m')
    const report = await t.run(runs[0]!.runId)
    assertRunStatus(report, 'completed')
    expect(report.output('create_incident')).toEqual({ incidentId: 'inc_1' })
    expect(report.output('send_slack')).toEqual({ ts: '1700000000.0001' })
    assertTimeline(report, ['step_completed wait_5m', 'step_completed create_incident', 'step_completed notify_all', 'run_completed'])
    // The workflow's config reached the handler.
    expect(report.logs.find((l) => l.message === 'paging on-call')!.data).toEqual({ incidentId: 'inc_1', severity: 'high' })
  })

  it('ignores heartbeats missed outside production', async () => {
    t = await createTestEngine({ workflows: [incident] })
    const { runs } = await t.emit(heartbeatMissed, { ...missed, environment: 'staging' })
    expect(runs).toEqual([])
  })

  it('stops when the service came back, and retries opening the incident every 5 s, 10 s', async () => {
    t = await createTestEngine({ workflows: [incident] })
    t.mock(stillDown, () => false)
    const recovered = (await t.emit(heartbeatMissed, missed)).runs[0]!.runId
    await t.advance('5m')
    expect((await t.run(recovered)).statuses()).toEqual({ wait_5m: 'completed', service_still_down: 'completed' })

    t.mock(stillDown, () => true)
    t.failNext(createIncident, 2, 'incident service timed out')
    const flaky = (await t.emit(heartbeatMissed, missed)).runs[0]!.runId
    await t.advance('5m')
    await t.advance('5s')
    expect((await t.run(flaky)).step('create_incident')!.attempt).toBe(2)
    await t.advance('10s')
    assertRunStatus(await t.run(flaky), 'completed')
  })
})
