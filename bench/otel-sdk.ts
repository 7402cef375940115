/**
 * An OpenTelemetry SDK as an application would register it (context manager, tracer provider
 * with a batch span processor, meter provider with a periodic reader), whose exporters drop
 * everything: what the engine costs with tracing and metrics on, without the cost of a network
 * exporter (which depends on the collector, not on the engine).
 */
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics'
import { AlwaysOffSampler, BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'

const SUCCESS = { code: 0 }

export function registerNoopExportingSdk(): { spansExported: () => number; shutdown(): Promise<void> } {
  let spans = 0
  const spanExporter: SpanExporter = {
    export: (batch, done) => {
      spans += batch.length
      done(SUCCESS)
    },
    shutdown: async () => {},
  }
  const metricExporter: PushMetricExporter = { export: (_metrics, done) => done(SUCCESS), forceFlush: async () => {}, shutdown: async () => {} }
  // PULSE_BENCH_OTEL may add `simple`: spans go to the exporter as each ends instead of in batches.
  const parts = new Set((process.env.PULSE_BENCH_OTEL ?? 'context,trace,metrics').split(','))
  const processor = parts.has('simple') ? new SimpleSpanProcessor(spanExporter) : new BatchSpanProcessor(spanExporter)
  // `unsampled`: every span is sampled out (still started, its context still stored with runs, nothing recorded).
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [processor], ...(parts.has('unsampled') ? { sampler: new AlwaysOffSampler() } : {}) })
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 1000 })] })
  // PULSE_BENCH_OTEL=context,trace,metrics (the default: all three) registers only some parts, to see what each costs.
  if (parts.has('context')) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  if (parts.has('trace')) trace.setGlobalTracerProvider(tracerProvider)
  if (parts.has('metrics')) metrics.setGlobalMeterProvider(meterProvider)
  return {
    spansExported: () => spans,
    async shutdown() {
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}
