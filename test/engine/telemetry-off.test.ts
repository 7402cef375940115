import { trace } from '@opentelemetry/api'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, PulseConfigError, trigger, workflow, type EngineConfig } from '../../src/index.js'
import { startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const ping = trigger('ping', { source: 'test' })
const pong = workflow('pong')
  .on(ping)
  .do('answer', () => ({ success: true, data: { pong: true } }))
  .delay(50, { name: 'pause' })
  .do('again', () => undefined)

describe.skipIf(servicesMissing())('OpenTelemetry installed, no SDK registered', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  for (const telemetry of [undefined, false] as const) {
    it(`runs workflows, records nothing and stores no trace context (telemetry: ${String(telemetry)})`, async () => {
      // An SDK that exists but is not registered globally: the engine must not reach it.
      const spans = new InMemorySpanExporter()
      const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
      const reader = new CollectingReader()
      const meterProvider = new MeterProvider({ readers: [reader] })
      t = await startTestEngine(telemetry === undefined ? {} : { telemetry })
      const { engine } = t
      engine.register(pong)
      await engine.sync({ tenantId: 'quiet', workflows: [pong] })

      // The application's own span, from the API with no SDK behind it, does not record.
      const request = trace.getTracer('app').startSpan('request')
      expect(request.isRecording()).toBe(false)
      const { runs } = await engine.emit(ping, { tenantId: 'quiet', payload: {} })
      request.end()
      expect((await waitForRun(engine, runs[0]!.runId)).status).toBe('completed')

      const { rows } = await t.pool.query(`SELECT trace_context FROM "${t.tablePrefix}workflow_runs"`)
      expect(rows).toEqual([{ trace_context: null }])
      expect(spans.getFinishedSpans()).toEqual([])
      const { resourceMetrics } = await reader.collect()
      expect(resourceMetrics.scopeMetrics).toEqual([])
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    })
  }

  it('refuses a telemetry option it does not know, naming it', () => {
    const bad = [
      [{ payloadAttribute: true }, /telemetry\.payloadAttribute is not an option; the options are payloadAttributes, metricsPerTenant/],
      [{ metricsPerTenant: 'yes' }, /telemetry\.metricsPerTenant must be true or false; got "yes"/],
      [true, /telemetry must be an object such as \{ payloadAttributes: true \}, or false; got true/],
    ] as const
    for (const [telemetry, message] of bad) {
      expect(() => createEngine({ dataDir: false, telemetry } as unknown as EngineConfig)).toThrow(PulseConfigError)
      expect(() => createEngine({ dataDir: false, telemetry } as unknown as EngineConfig)).toThrow(message)
    }
  })
})
