import { AssertionError } from 'node:assert'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { action, PulseConfigError, trigger, workflow } from '../../src/index.js'
import { assertRunStatus, assertStepStatus, assertTimeline, createTestEngine, type TestEngine } from '../../src/testing/index.js'

const START = '2026-03-01T00:00:00.000Z'

const orderPlaced = trigger('kit.order.placed', { source: 'shop', payload: z.object({ orderId: z.string() }) })
const orderPaid = trigger('kit.order.paid', { source: 'shop', payload: z.object({ orderId: z.string() }) })
const orderCanceled = trigger('kit.order.canceled', { source: 'shop', payload: z.object({ orderId: z.string() }) })

const sent: string[] = []
const sendReceipt = action('send_receipt', (ctx) => {
  sent.push(ctx.trigger.payload.orderId as string)
  return { success: true, data: { sent: true } }
}, { replaySafe: true })

const awaitPayment = workflow('kit-await-payment')
  .on(orderPlaced)
  .cancelOn(orderCanceled, { match: 'payload.orderId' })
  .waitFor('payment', orderPaid, { match: 'payload.orderId', timeout: '2d' })
  .when('paid', (ctx) => ctx.steps.payment.received)
  .do(sendReceipt, { retry: { maxAttempts: 2, backoff: '1m' } })

const placed = (orderId: string) => ({ payload: { orderId } })

describe('the testing kit', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.stop()
    t = undefined
    sent.length = 0
  })

  it('resumes a wait when its signal is emitted, and times it out when the clock passes the timeout', async () => {
    t = await createTestEngine({ workflows: [awaitPayment], now: START })
    const paid = (await t.emit(orderPlaced, placed('o1'))).runs[0]!.runId
    const unpaid = (await t.emit(orderPlaced, placed('o2'))).runs[0]!.runId
    expect((await t.run(paid)).run.status).toBe('waiting')

    const result = await t.emit(orderPaid, placed('o1'))
    expect(result.resolvedWaits).toEqual([{ runId: paid, stepName: 'payment' }])
    assertRunStatus(await t.run(paid), 'completed')
    expect(sent).toEqual(['o1'])

    await t.advance('2d')
    const timedOut = await t.run(unpaid)
    assertRunStatus(timedOut, 'completed')
    // The condition saw no payment and ended the run before the receipt.
    expect(timedOut.statuses()).toEqual({ payment: 'completed', paid: 'completed' })
    assertTimeline(timedOut, ['wait_started payment', 'wait_timed_out payment', 'run_completed'])
    expect(timedOut.timeline.find((e) => e.type === 'wait_timed_out')!.timestamp).toEqual(new Date(Date.parse(START) + 2 * 86_400_000))
  })

  it('cancels a waiting run on its cancelOn signal', async () => {
    t = await createTestEngine({ workflows: [awaitPayment], now: START })
    const runId = (await t.emit(orderPlaced, placed('o3'))).runs[0]!.runId
    const result = await t.emit(orderCanceled, placed('o3'))
    expect(result.canceledRuns).toEqual([{ runId, workflowKey: 'kit-await-payment' }])
    await t.advance('3d')
    const report = await t.run(runId)
    assertRunStatus(report, 'canceled')
    expect(sent).toEqual([])
  })

  it('replays a signal: replay-safe actions run again in a new run marked as a replay', async () => {
    t = await createTestEngine({ workflows: [awaitPayment], now: START })
    const first = await t.emit(orderPlaced, placed('o4'))
    await t.emit(orderPaid, placed('o4'))
    const [replayed] = await t.engine.replay(first.id)
    await t.emit(orderPaid, placed('o4'))
    const report = await t.run(replayed!.id)
    expect(report.run.isReplay).toBe(true)
    assertRunStatus(report, 'completed')
    expect(sent).toEqual(['o4', 'o4'])
  })

  it('calls a mock instead of the handler, and a mock that throws fails the attempt and is retried', async () => {
    t = await createTestEngine({ workflows: [awaitPayment], now: START })
    const calls: string[] = []
    t.mock(sendReceipt, (ctx) => {
      calls.push(String(ctx.trigger.payload.orderId))
      if (calls.length === 1) throw new Error('smtp down')
      return { success: true, data: { mocked: true } }
    })
    t.mock('paid', () => true) // a condition, by name: no payment needed
    const runId = (await t.emit(orderPlaced, placed('o5'))).runs[0]!.runId
    await t.advance('2d')
    let report = await t.run(runId)
    assertStepStatus(report, 'send_receipt', 'scheduled')
    expect(report.logs.map((l) => l.data?.error)).toEqual(['smtp down'])
    await t.advance('1m')
    report = await t.run(runId)
    assertRunStatus(report, 'completed')
    expect(report.output('send_receipt')).toEqual({ mocked: true })
    expect(calls).toEqual(['o5', 'o5'])
    expect(sent).toEqual([])
  })

  it('fails a run whose handler failNext makes fail more often than it may retry', async () => {
    t = await createTestEngine({ workflows: [awaitPayment], now: START })
    t.failNext(sendReceipt, 2, 'mail provider rejected the message')
    const runId = (await t.emit(orderPlaced, placed('o6'))).runs[0]!.runId
    await t.emit(orderPaid, placed('o6'))
    await t.advance('1m')
    const report = await t.run(runId)
    assertRunStatus(report, 'failed')
    expect(report.run.errorMessage).toContain('mail provider rejected the message')
    expect(sent).toEqual([])
  })

  it('refuses to mock a name no workflow uses, naming the ones in use', async () => {
    t = await createTestEngine({ workflows: [awaitPayment], now: START })
    expect(() => t!.mock('send_reciept', () => undefined)).toThrow(PulseConfigError)
    expect(() => t!.failNext('send_reciept')).toThrow(/no workflow of this test engine uses an action or condition named "send_reciept"; the names in use are "paid", "send_receipt"/)
  })

  it('assertion helpers throw AssertionError with what was found', async () => {
    t = await createTestEngine({ workflows: [awaitPayment], now: START })
    const runId = (await t.emit(orderPlaced, placed('o7'))).runs[0]!.runId
    const report = await t.run(runId)
    expect(() => assertRunStatus(report, 'completed')).toThrow(AssertionError)
    expect(() => assertRunStatus(report, 'completed')).toThrow(/is waiting, expected completed; steps: \{"payment":"scheduled"\}/)
    expect(() => assertStepStatus(report, 'send_receipt', 'completed')).toThrow(/has no step "send_receipt"/)
    expect(() => assertTimeline(report, ['run_completed'])).toThrow(AssertionError)
    assertTimeline(report, ['run_created', 'wait_started payment'])
  })
})
