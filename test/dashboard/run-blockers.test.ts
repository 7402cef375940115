import { describe, expect, it } from 'vitest'
import { parsePayloadFilter } from '../../src/dashboard/payload-filter.js'
import { runBlockers, type RunWait } from '../../src/dashboard/run-blockers.js'
import type { WorkflowRun, WorkflowStepRun } from '../../src/index.js'

const now = new Date('2026-01-01T12:00:00.000Z')
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs)
const run = (status: WorkflowRun['status'], extra: Partial<WorkflowRun> = {}): WorkflowRun => ({
  id: 'run_1',
  definitionId: 'wfd_1',
  tenantId: 't',
  triggerId: 'trg_1',
  status,
  context: {},
  currentStepIndex: 0,
  isReplay: false,
  definitionSnapshot: { id: 'wfd_1', key: 'k', version: 1, name: 'k', triggerType: 'x', steps: [], config: {} },
  createdAt: at(-60_000),
  updatedAt: at(-1000),
  ...extra,
})
const step = (name: string, status: WorkflowStepRun['status'], extra: Partial<WorkflowStepRun> = {}): WorkflowStepRun => ({
  id: `stp_${name}`,
  runId: 'run_1',
  tenantId: 't',
  stepIndex: 0,
  stepType: 'action',
  stepName: name,
  status,
  attempt: 0,
  createdAt: at(-30_000),
  ...extra,
})

describe('why a run is not moving', () => {
  it('names the delay and its due time', () => {
    const [b] = runBlockers(run('waiting'), [step('wait_3d', 'scheduled', { stepType: 'delay', scheduledFor: at(3_600_000) })], [], now)
    expect(b).toEqual({ kind: 'delay', text: 'Step wait_3d waits in a delay until 2026-01-01 13:00:00.000 UTC.' })
  })

  it('names the signal a wait expects, its match and its timeout', () => {
    const wait: RunWait = { stepRunId: 'stp_paid', signalTypes: ['order.paid'], match: { 'payload.orderId': 42 }, status: 'open', signalId: null, createdAt: at(-1000), timeoutAt: at(86_400_000), resolvedAt: null }
    const [b] = runBlockers(run('waiting'), [step('paid', 'scheduled', { stepType: 'wait_for_signal', scheduledFor: at(86_400_000) })], [wait], now)
    expect(b?.kind).toBe('signal')
    expect(b?.text).toBe('Step paid waits for a signal order.paid matching payload.orderId = 42, until 2026-01-02 12:00:00.000 UTC at the latest.')
  })

  it('says a due step waits for a worker slot, and a backoff for its next attempt', () => {
    expect(runBlockers(run('pending'), [step('charge', 'pending')], [], now)[0]?.kind).toBe('queued')
    const [retry] = runBlockers(run('running'), [step('charge', 'scheduled', { attempt: 1, scheduledFor: at(5000) })], [], now)
    expect(retry?.text).toBe('Step charge waits to be attempted again (attempt 2) until 2026-01-01 12:00:05.000 UTC.')
  })

  it('says a run held by its throttle or debounce is held until its first step is due', () => {
    const first = [step('deliver', 'scheduled', { scheduledFor: at(60_000) })]
    const [throttled] = runBlockers(run('pending', { heldBy: 'throttle' }), first, [], now)
    expect(throttled).toEqual({ kind: 'throttle', text: `Held back by its workflow's throttle until 2026-01-01 12:01:00.000 UTC, the start it was allotted.` })
    const [debounced] = runBlockers(run('pending', { heldBy: 'debounce' }), first, [], now)
    expect(debounced!.kind).toBe('debounce')
    expect(debounced!.text).toMatch(/^Held back by its workflow's debounce until 2026-01-01 12:01:00.000 UTC: each further signal/)
  })

  it('says a run held by its concurrency limit waits for a slot, naming the limit', () => {
    const snapshot = { id: 'wfd_1', key: 'k', version: 1, name: 'k', triggerType: 'x', steps: [], config: {}, flow: { concurrency: { limit: 2, key: 'payload.accountId' as const } } }
    const held = run('pending', { heldBy: 'concurrency', definitionSnapshot: snapshot })
    expect(runBlockers(held, [step('push', 'pending')], [], now)).toEqual([
      { kind: 'slot', text: 'Waits for a concurrency slot (at most 2 active runs per payload.accountId): it starts when a run holding one ends.' },
    ])
  })

  it('says which step failed and how to go on, and that finished runs are done', () => {
    const [failed] = runBlockers(run('failed', { errorMessage: 'step "charge" failed: declined' }), [step('charge', 'failed')], [], now)
    expect(failed?.text).toBe('Failed at step charge: step "charge" failed: declined. Retry it to continue from the failed step.')
    expect(runBlockers(run('completed', { completedAt: now }), [], [], now)[0]?.kind).toBe('finished')
    expect(runBlockers(run('canceled', { canceledAt: now, cancelReason: 'churned' }), [], [], now)[0]?.text).toContain(': churned.')
  })
})

describe('payload search', () => {
  it('reads numbers, strings, quoted strings and nested fields', () => {
    expect(parsePayloadFilter('payload.orderId = 42')).toEqual({ value: { orderId: 42 } })
    expect(parsePayloadFilter('payload.orderId = "42"')).toEqual({ value: { orderId: '42' } })
    expect(parsePayloadFilter('payload.customer.email=ada@example.com')).toEqual({ value: { customer: { email: 'ada@example.com' } } })
  })

  it('names the problem of a search it cannot read', () => {
    expect(parsePayloadFilter('orderId = 42')).toMatchObject({ issue: { path: ['payload'], message: expect.stringContaining('must start with "payload."') } })
    expect(parsePayloadFilter('payload.orderId')).toMatchObject({ issue: { message: expect.stringContaining('payload.<field> = <value>') } })
    expect(parsePayloadFilter('payload.a b = 1')).toMatchObject({ issue: { message: expect.stringContaining('"a b"') } })
  })
})
