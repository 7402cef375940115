import { context, metrics, trace, type Attributes } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { MeterProvider, MetricReader, type DataPoint, type Histogram, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base'

/** A metric reader the test collects from when it wants to (the SDK's in-memory reader). */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface InstalledTelemetry {
  spans: InMemorySpanExporter
  /** Spans finished so far, as plain objects (see spanRecord). */
  finished(): SpanRecord[]
  /** Collects every metric now. */
  collect(): Promise<ResourceMetrics>
  uninstall(): Promise<void>
}

/** What a test asserts about a span; also what a child engine prints for each span it finished. */
export interface SpanRecord {
  name: string
  traceId: string
  spanId: string
  parentSpanId?: string
  kind: number
  attributes: Attributes
  status: { code: number; message?: string }
  events: { name: string; attributes?: Attributes }[]
  links: { traceId: string; spanId: string }[]
  startMs: number
  endMs: number
}

export function spanRecord(span: ReadableSpan): SpanRecord {
  const ms = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6
  return {
    name: span.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
    kind: span.kind,
    attributes: span.attributes,
    status: span.status,
    events: span.events.map((e) => ({ name: e.name, ...(e.attributes ? { attributes: e.attributes } : {}) })),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
    startMs: ms(span.startTime),
    endMs: ms(span.endTime),
  }
}

/**
 * Registers an OpenTelemetry SDK globally, as an application would: a context manager, a tracer
 * provider exporting to memory, a meter provider read on demand. `uninstall()` takes it all
 * back, so other test files in the same process see no SDK.
 */
export function installTelemetry(options: { onSpan?: (span: SpanRecord) => void } = {}): InstalledTelemetry {
  const spans = new InMemorySpanExporter()
  const processors: SpanProcessor[] = [new SimpleSpanProcessor(spans)]
  const { onSpan } = options
  if (onSpan) {
    // Each span as it ends: a process killed before a span ended never reports it, as with a real exporter.
    processors.push({ onStart: () => undefined, onEnd: (span) => onSpan(spanRecord(span)), forceFlush: async () => {}, shutdown: async () => {} })
  }
  const tracerProvider = new BasicTracerProvider({ spanProcessors: processors })
  const reader = new CollectingReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
  return {
    spans,
    finished: () => spans.getFinishedSpans().map(spanRecord),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect()
      if (errors.length > 0) throw errors[0]
      return resourceMetrics
    },
    async uninstall() {
      trace.disable()
      metrics.disable()
      context.disable()
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}

/** The data points of one metric, by name, from a collection. */
export function points<T = number>(collected: ResourceMetrics, name: string): DataPoint<T>[] {
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) if (metric.descriptor.name === name) return metric.dataPoints as DataPoint<T>[]
  }
  return []
}

/** The sum of a counter's points whose attributes include `where`. */
export function total(collected: ResourceMetrics, name: string, where: Attributes = {}): number {
  return points(collected, name)
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0)
}

/** How many values a histogram recorded, over its points whose attributes include `where`. */
export function recorded(collected: ResourceMetrics, name: string, where: Attributes = {}): number {
  return points<Histogram>(collected, name)
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value.count, 0)
}
