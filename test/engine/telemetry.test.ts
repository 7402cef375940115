import { SpanStatusCode, trace } from '@opentelemetry/api'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { trigger, workflow, type Engine } from '../../src/index.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { MODE, servicesMissing } from '../support/services.js'
import { installTelemetry, points, recorded, total, type InstalledTelemetry, type SpanRecord } from '../support/telemetry.js'

const SECRET = 'card-4242-secret'

const placed = trigger('order.placed', { source: 'shop', payload: z.object({ card: z.string() }) })
const charged = trigger('order.charged', { source: 'shop' })
const broken = trigger('order.broken', { source: 'shop' })
const checkout = workflow('checkout')
  .on(placed)
  .do('charge', async (ctx) => {
    await ctx.emit(charged, { payload: {} })
    return { success: true, data: { receipt: `receipt for ${ctx.trigger.payload.card}` } }
  })
const receipt = workflow('receipt').on(charged).do('send_receipt', () => undefined)
const failing = workflow('failing')
  .on(broken)
  .do('explode', () => {
    throw new Error('card declined')
  })

const refundRequested = trigger('refund.requested', { source: 'shop', payload: z.object({ refundId: z.string() }) })
const refundApproved = trigger('refund.approved', { source: 'backoffice', payload: z.object({ refundId: z.string() }) })
const refund = workflow('refund')
  .on(refundRequested)
  .waitFor('decision', [refundApproved], { match: 'payload.refundId', timeout: '1h' })
  .do('pay_out', () => undefined)

const byName = (spans: SpanRecord[], name: string, step?: string) => spans.filter((s) => s.name === name && (step === undefined || s.attributes['pulse.step.name'] === step))
const one = (spans: SpanRecord[], name: string, step?: string): SpanRecord => {
  const found = byName(spans, name, step)
  expect(found, `${name}${step ? ` ${step}` : ''}`).toHaveLength(1)
  return found[0]!
}
const emitOf = (spans: SpanRecord[], type: string): SpanRecord => {
  const found = spans.filter((s) => s.name === 'pulse.emit' && s.attributes['pulse.signal.type'] === type)
  expect(found, `pulse.emit of ${type}`).toHaveLength(1)
  return found[0]!
}

const OPTED_IN = { telemetry: { payloadAttributes: true, metricsPerTenant: true } }

describe.skipIf(servicesMissing())('OpenTelemetry with an SDK registered', () => {
  let otel: InstalledTelemetry
  // One engine per set of options, shared by the tests (each has a tenant of its own).
  const engines = new Map<string, TestEngine>()
  let tenants = 0

  beforeAll(() => {
    otel = installTelemetry()
  })
  afterAll(async () => {
    for (const t of engines.values()) await t.close()
    await otel.uninstall()
  })
  afterEach(() => otel.spans.reset())

  async function engineWith(config: Parameters<typeof startTestEngine>[0] = {}): Promise<{ engine: Engine; tenantId: string; tablePrefix: string }> {
    const key = JSON.stringify(config)
    let t = engines.get(key)
    if (!t) {
      t = await startTestEngine(config)
      t.engine.register(checkout, receipt, failing, refund)
      engines.set(key, t)
    }
    const tenantId = `tenant_${++tenants}`
    await t.engine.sync({ tenantId, workflows: [checkout, receipt, failing, refund] })
    return { engine: t.engine, tenantId, tablePrefix: t.tablePrefix }
  }

  /** Emits `order.placed` inside a span of the application's own, as an HTTP handler would. */
  async function emitInRequest(engine: Engine, tenantId: string) {
    return trace.getTracer('shop-app').startActiveSpan('POST /orders', async (span) => {
      try {
        const emitted = await engine.emit(placed, { tenantId, payload: { card: SECRET } })
        return { emitted, request: span.spanContext() }
      } finally {
        span.end()
      }
    })
  }

  it('follows a signal from the caller’s span through its run’s steps and a chained ctx.emit, in one trace, with the attributes', async () => {
    const { engine, tenantId } = await engineWith()
    const { emitted, request } = await emitInRequest(engine, tenantId)
    const run = await waitForRun(engine, emitted.runs[0]!.runId)
    expect(run.status).toBe('completed')
    const spans = await eventually(() => {
      const done = otel.finished()
      return byName(done, 'pulse.step', 'send_receipt').length > 0 ? done : undefined
    })

    const emit = emitOf(spans, 'order.placed')
    expect(emit).toMatchObject({ traceId: request.traceId, parentSpanId: request.spanId })
    expect(emit.attributes).toMatchObject({
      'pulse.tenant_id': tenantId,
      'pulse.signal.type': 'order.placed',
      'pulse.signal.source': 'shop',
      'pulse.signal.id': emitted.id,
      'pulse.runs.started': 1,
      'pulse.signal.deduplicated': false,
      'pulse.mode': MODE,
    })

    const charge = one(spans, 'pulse.step', 'charge')
    expect(charge).toMatchObject({ traceId: request.traceId, parentSpanId: emit.spanId, status: { code: SpanStatusCode.UNSET } })
    expect(charge.attributes).toEqual({
      'pulse.tenant_id': tenantId,
      'pulse.mode': MODE,
      'pulse.workflow.key': 'checkout',
      'pulse.workflow.version': 1,
      'pulse.workflow.definition_id': run.definitionId,
      'pulse.run.id': run.id,
      'pulse.step.id': expect.stringMatching(/^stp_/),
      'pulse.step.name': 'charge',
      'pulse.step.type': 'action',
      'pulse.step.attempt': 1,
      'pulse.step.outcome': 'completed',
    })

    // ctx.emit continues the trace from the step that emitted, and so do the runs it started.
    const chained = emitOf(spans, 'order.charged')
    expect(chained).toMatchObject({ traceId: request.traceId, parentSpanId: charge.spanId })
    const send = one(spans, 'pulse.step', 'send_receipt')
    expect(send).toMatchObject({ traceId: request.traceId, parentSpanId: chained.spanId })
    expect(send.attributes['pulse.workflow.key']).toBe('receipt')

    // The payload (and the output that repeats it) is nowhere in the telemetry.
    expect(JSON.stringify(spans)).not.toContain(SECRET)
  })

  it('records a failed step as an error with the handler’s exception as an event', async () => {
    const { engine, tenantId } = await engineWith()
    const { runs } = await engine.emit(broken, { tenantId, payload: {} })
    expect((await waitForRun(engine, runs[0]!.runId)).status).toBe('failed')
    const spans = await eventually(() => (byName(otel.finished(), 'pulse.step', 'explode').length > 0 ? otel.finished() : undefined))
    const explode = one(spans, 'pulse.step', 'explode')
    expect(explode.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' })
    expect(explode.attributes['pulse.step.outcome']).toBe('failed')
    expect(explode.events).toEqual([
      { name: 'exception', attributes: expect.objectContaining({ 'exception.type': 'Error', 'exception.message': 'card declined', 'exception.stacktrace': expect.stringContaining('card declined') }) },
    ])
    // Emitted outside any span: the emit is the root of its own trace.
    const emit = one(spans, 'pulse.emit')
    expect(emit.parentSpanId).toBeUndefined()
    expect(explode).toMatchObject({ traceId: emit.traceId, parentSpanId: emit.spanId })
  })

  it('keeps a run that waited for a signal in the trace that started it, with a pulse.wait span for reaching the wait and one for its signal', async () => {
    const { engine, tenantId } = await engineWith()
    const { runId, request } = await trace.getTracer('shop-app').startActiveSpan('POST /refunds', async (span) => {
      try {
        const emitted = await engine.emit(refundRequested, { tenantId, payload: { refundId: 'r1' } })
        return { runId: emitted.runs[0]!.runId, request: span.spanContext() }
      } finally {
        span.end()
      }
    })
    await waitForRun(engine, runId, ['waiting'])
    await engine.emit(refundApproved, { tenantId, payload: { refundId: 'r1' } })
    expect((await waitForRun(engine, runId)).status).toBe('completed')
    const spans = await eventually(() => (byName(otel.finished(), 'pulse.step', 'pay_out').length > 0 ? otel.finished() : undefined))

    const started = emitOf(spans, 'refund.requested')
    expect(started).toMatchObject({ traceId: request.traceId, parentSpanId: request.spanId })
    const waits = byName(spans, 'pulse.wait', 'decision').map((s) => ({ traceId: s.traceId, parentSpanId: s.parentSpanId, attempt: s.attributes['pulse.step.attempt'], outcome: s.attributes['pulse.step.outcome'] }))
    expect(waits).toEqual([
      { traceId: request.traceId, parentSpanId: started.spanId, attempt: 1, outcome: 'waiting' },
      { traceId: request.traceId, parentSpanId: started.spanId, attempt: 2, outcome: 'completed' },
    ])
    expect(one(spans, 'pulse.step', 'pay_out')).toMatchObject({ traceId: request.traceId, parentSpanId: started.spanId })
    // The signal that resolved the wait has a trace of its own (here a root: no active span).
    expect(emitOf(spans, 'refund.approved').traceId).not.toBe(request.traceId)
  })

  it('records payloads and outputs as attributes only when the engine opts in', async () => {
    const { engine, tenantId } = await engineWith(OPTED_IN)
    const { emitted } = await emitInRequest(engine, tenantId)
    await waitForRun(engine, emitted.runs[0]!.runId)
    const spans = await eventually(() => (byName(otel.finished(), 'pulse.step', 'charge').length > 0 ? otel.finished() : undefined))
    const emit = emitOf(spans, 'order.placed')
    expect(JSON.parse(emit.attributes['pulse.signal.payload'] as string)).toEqual({ card: SECRET })
    expect(JSON.parse(one(spans, 'pulse.step', 'charge').attributes['pulse.step.output'] as string)).toEqual({ receipt: `receipt for ${SECRET}` })
  })

  it('starts a replay in a new trace, linked to the trace of the original runs', async () => {
    const { engine, tenantId } = await engineWith()
    const { emitted, request } = await emitInRequest(engine, tenantId)
    await waitForRun(engine, emitted.runs[0]!.runId)
    await eventually(() => (byName(otel.finished(), 'pulse.step', 'send_receipt').length > 0 ? true : undefined))
    const original = emitOf(otel.finished(), 'order.placed')
    otel.spans.reset()

    const [replayed] = await engine.replay(emitted.id)
    await waitForRun(engine, replayed!.id)
    const spans = await eventually(() => (byName(otel.finished(), 'pulse.step', 'charge').length > 0 ? otel.finished() : undefined))
    const replay = one(spans, 'pulse.replay')
    expect(replay.traceId).not.toBe(request.traceId)
    expect(replay.links).toEqual([{ traceId: request.traceId, spanId: original.spanId }])
    expect(replay.attributes).toMatchObject({ 'pulse.signal.id': emitted.id, 'pulse.run.replay': true })
    const charge = one(spans, 'pulse.step', 'charge')
    expect(charge).toMatchObject({ traceId: replay.traceId, parentSpanId: replay.spanId })
    expect(charge.attributes).toMatchObject({ 'pulse.run.id': replayed!.id, 'pulse.run.replay': true, 'pulse.step.outcome': 'skipped' })
    // Nothing was added to the original trace.
    expect(spans.filter((s) => s.traceId === request.traceId)).toEqual([])
  })

  it('counts runs per workflow, times steps and their queue lag, and gauges the steps waiting', async () => {
    const { engine, tenantId, tablePrefix } = await engineWith()
    const hold = trigger('order.held', { source: 'shop' })
    const held = workflow('held').on(hold).delay('1h', { name: 'cool_off' }).do('release', () => undefined)
    engine.register(held)
    await engine.sync({ tenantId, workflows: [checkout, receipt, failing, held] })
    const before = await otel.collect()

    const ok = await Promise.all([1, 2].map(() => engine.emit(placed, { tenantId, payload: { card: 'x' } })))
    const bad = await engine.emit(broken, { tenantId, payload: {} })
    const waiting = await engine.emit(hold, { tenantId, payload: {} })
    for (const e of [...ok, bad]) await waitForRun(engine, e.runs[0]!.runId)
    await waitForRun(engine, waiting.runs[0]!.runId, ['waiting'])
    const whileHeld = await otel.collect()
    await engine.cancelRun(waiting.runs[0]!.runId, 'test')
    await eventually(async () => ((await engine.listRuns({ tenantId, workflowKey: 'receipt', status: 'completed' })).length === 2 ? true : undefined))
    const after = await eventually(async () => {
      const collected = await otel.collect()
      return total(collected, 'pulse.runs.completed', { 'pulse.workflow.key': 'receipt' }) - total(before, 'pulse.runs.completed', { 'pulse.workflow.key': 'receipt' }) === 2 ? collected : undefined
    })

    const added = (name: string, key: string) => total(after, name, { 'pulse.workflow.key': key }) - total(before, name, { 'pulse.workflow.key': key })
    expect(added('pulse.runs.started', 'checkout')).toBe(2)
    expect(added('pulse.runs.completed', 'checkout')).toBe(2)
    expect(added('pulse.runs.started', 'failing')).toBe(1)
    expect(added('pulse.runs.failed', 'failing')).toBe(1)
    expect(added('pulse.runs.started', 'held')).toBe(1)
    expect(added('pulse.runs.canceled', 'held')).toBe(1)
    expect(added('pulse.runs.completed', 'held')).toBe(0)
    const steps = (name: string, where: Record<string, string>) => recorded(after, name, where) - recorded(before, name, where)
    expect(steps('pulse.step.duration', { 'pulse.workflow.key': 'checkout', 'pulse.step.outcome': 'completed' })).toBe(2)
    expect(steps('pulse.step.duration', { 'pulse.workflow.key': 'failing', 'pulse.step.outcome': 'failed' })).toBe(1)
    expect(steps('pulse.step.queue_lag', { 'pulse.workflow.key': 'checkout', 'pulse.step.type': 'action' })).toBe(2)
    // The held run's delay step waits, scheduled for later.
    const waitingHere = points(whileHeld, 'pulse.steps.waiting').filter((p) => p.attributes['pulse.table_prefix'] === tablePrefix)
    expect(waitingHere.find((p) => p.attributes['pulse.step.state'] === 'scheduled')?.value).toBe(1)
    // Tenants are not an attribute unless the engine opts in.
    for (const name of ['pulse.runs.started', 'pulse.runs.completed', 'pulse.step.duration', 'pulse.step.queue_lag']) {
      expect(points<unknown>(after, name).filter((p) => p.attributes['pulse.tenant_id'] === tenantId)).toEqual([])
    }
  })

  it('adds the tenant to metrics when the engine opts in', async () => {
    const { engine, tenantId } = await engineWith(OPTED_IN)
    const { runs } = await engine.emit(broken, { tenantId, payload: {} })
    await waitForRun(engine, runs[0]!.runId)
    const collected = await eventually(async () => {
      const c = await otel.collect()
      return total(c, 'pulse.runs.failed', { 'pulse.tenant_id': tenantId }) === 1 ? c : undefined
    })
    expect(total(collected, 'pulse.runs.started', { 'pulse.tenant_id': tenantId, 'pulse.workflow.key': 'failing' })).toBe(1)
    expect(recorded(collected, 'pulse.step.duration', { 'pulse.tenant_id': tenantId })).toBe(1)
  })
})
