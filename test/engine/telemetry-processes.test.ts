import { trace } from '@opentelemetry/api'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Engine } from '../../src/index.js'
import { closeChildAndEngine, startChildEngineFor, type ChildEngine } from '../support/child-engine.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'
import { installTelemetry, type InstalledTelemetry, type SpanRecord } from '../support/telemetry.js'

/** The spans a child engine printed as they ended. */
const childSpans = (child: ChildEngine): SpanRecord[] => child.events.filter((e) => e.event === 'span').map((e) => e.span as SpanRecord)
const steps = (spans: SpanRecord[], name: string) => spans.filter((s) => s.attributes['pulse.step.name'] === name)

/** Emits inside a span of the application's own; returns what the emit started and that span. */
async function emitInRequest(engine: Engine, tenantId: string) {
  return trace.getTracer('app').startActiveSpan('POST /jobs', async (span) => {
    try {
      const emitted = await engine.emit({ tenantId, type: 'job.posted', source: 'app', payload: {} })
      return { runId: emitted.runs[0]!.runId, request: span.spanContext() }
    } finally {
      span.end()
    }
  })
}

describe.skipIf(servicesMissing())('OpenTelemetry across engine processes', () => {
  let otel: InstalledTelemetry
  let t: TestEngine | undefined
  let child: ChildEngine | undefined

  beforeAll(() => {
    otel = installTelemetry()
  })
  afterAll(() => otel.uninstall())
  afterEach(async () => {
    await closeChildAndEngine(child, t)
    child = undefined
    t = undefined
    otel.spans.reset()
  })

  it('keeps a run with a delay in one trace when the steps after the delay run in another process', async () => {
    // `t.engine` only reads; `first` is this process's worker, the child the other process.
    t = await startTestEngine({ allowUnregisteredTriggers: true }, { start: false })
    const first = t.sibling({ allowUnregisteredTriggers: true })
    for (const name of ['work_1', 'work_2']) first.registerAction(name, () => ({ success: true, data: { pid: process.pid } }))
    await t.engine.createWorkflow({
      tenantId: 'w',
      name: 'with a pause',
      triggerType: 'job.posted',
      steps: [
        { type: 'action', name: 'work_1' },
        { type: 'delay', name: 'cool_off', delayMs: 1000 },
        { type: 'action', name: 'work_2' },
      ],
      config: {},
      isEnabled: true,
    })
    await first.start()
    const { runId, request } = await emitInRequest(first, 'w')
    // The first step ran here; the delay is scheduled. This process stops before it is due.
    await eventually(async () => {
      const { rows } = await t!.pool.query(`SELECT status FROM "${t!.tablePrefix}workflow_step_runs" WHERE run_id = $1 AND step_name = 'cool_off'`, [runId])
      return rows[0]?.status === 'scheduled' ? true : undefined
    })
    await first.stop()
    const stoppedAt = Date.now()

    child = await startChildEngineFor(t, { telemetry: true }, ['work_1', 'work_2'])
    expect((await waitForRun(t.engine, runId, ['completed'], 20_000)).status).toBe('completed')
    const there = await eventually(() => (steps(childSpans(child!), 'work_2').length > 0 ? childSpans(child!) : undefined))
    const here = otel.finished()

    const emit = here.find((s) => s.name === 'pulse.emit')!
    expect(emit).toMatchObject({ traceId: request.traceId, parentSpanId: request.spanId })
    expect(steps(here, 'work_1')).toEqual([expect.objectContaining({ name: 'pulse.step', traceId: request.traceId, parentSpanId: emit.spanId })])
    expect(steps(here, 'work_2')).toEqual([])
    // In the other process, read from the run: the same trace, the same parent.
    const [delay] = steps(there, 'cool_off')
    expect(delay).toMatchObject({ name: 'pulse.delay', traceId: request.traceId, parentSpanId: emit.spanId })
    // The delay's span covers the wait from when it began here, before this process stopped.
    expect(delay!.startMs).toBeLessThan(stoppedAt)
    expect(steps(there, 'work_2')).toEqual([
      expect.objectContaining({ name: 'pulse.step', traceId: request.traceId, parentSpanId: emit.spanId, attributes: expect.objectContaining({ 'pulse.step.attempt': 1, 'pulse.run.id': runId }) }),
    ])
  }, 60_000)

  it('shows a step re-run after its engine was SIGKILLed as attempt 2, with no span from the killed attempt', async () => {
    t = await startTestEngine({ leaseMs: 60_000, reconcileIntervalMs: 30_000, allowUnregisteredTriggers: true }, { start: false })
    const { engine, pool } = t
    const survivor = t.sibling({ allowUnregisteredTriggers: true })
    for (const name of ['hang_1', 'work_2']) survivor.registerAction(name, () => ({ success: true, data: { by: 'survivor' } }))
    await engine.createWorkflow({
      tenantId: 'w',
      name: 'two steps',
      triggerType: 'job.posted',
      steps: [
        { type: 'action', name: 'hang_1' },
        { type: 'action', name: 'work_2' },
      ],
      config: {},
      isEnabled: true,
    })
    // The child takes the first step and hangs in it (nothing else runs the queue yet).
    child = await startChildEngineFor(t, { telemetry: true, concurrency: 1, leaseMs: 60_000, workerTimeoutMs: 1000 }, ['hang_1', 'work_2'])
    const { runId, request } = await emitInRequest(engine, 'w')
    await eventually(async () => {
      const { rows } = await pool.query(`SELECT 1 FROM "${t!.tablePrefix}executions" WHERE run_id = $1 AND outcome = 'started'`, [runId])
      return rows.length > 0 ? true : undefined
    }, 20_000)
    await survivor.start()
    child.kill('SIGKILL')
    await child.exited

    expect((await waitForRun(engine, runId, ['completed'], 20_000)).status).toBe('completed')
    const here = await eventually(() => (steps(otel.finished(), 'work_2').length > 0 ? otel.finished() : undefined))
    const emit = here.find((s) => s.name === 'pulse.emit')!
    expect(emit).toMatchObject({ traceId: request.traceId, parentSpanId: request.spanId })
    // The killed attempt never ended, so it was never exported; the re-run is attempt 2.
    expect(childSpans(child)).toEqual([])
    expect(steps(here, 'hang_1')).toEqual([
      expect.objectContaining({ traceId: request.traceId, parentSpanId: emit.spanId, attributes: expect.objectContaining({ 'pulse.step.attempt': 2, 'pulse.step.outcome': 'completed' }) }),
    ])
    expect(steps(here, 'work_2')).toEqual([expect.objectContaining({ traceId: request.traceId, attributes: expect.objectContaining({ 'pulse.step.attempt': 1 }) })])
  }, 60_000)
})
