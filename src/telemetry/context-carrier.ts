import type { Context, SpanContext } from '@opentelemetry/api'
import type { TraceCarrier } from '../store/index.js'
import type { OtelApi } from './load-api.js'

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/**
 * A span's context as W3C Trace Context fields, written by hand rather than through the global
 * propagator: the application may have configured none (or B3 only), and a run must still find
 * its trace days later in another process.
 */
export function carrierOf(span: SpanContext): TraceCarrier {
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0')
  const carrier: TraceCarrier = { traceparent: `00-${span.traceId}-${span.spanId}-${flags}` }
  const state = span.traceState?.serialize()
  if (state) carrier.tracestate = state
  return carrier
}

/** The span context a stored carrier names, or undefined when it holds none that is valid. */
export function spanContextOf(api: OtelApi, carrier: TraceCarrier | undefined): SpanContext | undefined {
  const match = typeof carrier?.traceparent === 'string' ? TRACEPARENT.exec(carrier.traceparent) : null
  if (!match) return undefined
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string]
  if (!api.isValidTraceId(traceId) || !api.isValidSpanId(spanId)) return undefined
  const span: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true }
  if (typeof carrier?.tracestate === 'string' && carrier.tracestate.length > 0) span.traceState = api.createTraceState(carrier.tracestate)
  return span
}

/** A context whose parent is the span a stored carrier names (the root context when it names none). */
export function contextFrom(api: OtelApi, carrier: TraceCarrier | undefined): Context {
  const span = spanContextOf(api, carrier)
  return span ? api.trace.setSpanContext(api.ROOT_CONTEXT, span) : api.ROOT_CONTEXT
}
