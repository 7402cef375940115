import type { Context, Link, Span, Tracer, TracerProvider } from '@opentelemetry/api'
import type { Claim, TraceCarrier } from '../store/index.js'
import type { JsonObject } from '../types.js'
import type { StepOutcome } from '../runtime/run-state.js'
import { ATTR, outcomeName, payloadAttribute, stepAttributes } from './attributes.js'
import { carrierOf, contextFrom, spanContextOf } from './context-carrier.js'
import type { OtelApi } from './load-api.js'

const SCOPE = 'pulse-engine'

/** The signal an emit span is about, as far as it is known before the signal is checked. */
export interface EmitSubject {
  tenantId?: unknown
  type?: unknown
  source?: unknown
}

/** What the emit span records once the emit is done. */
export interface EmitSummary {
  signalId: string
  runs: number
  deduplicated: boolean
}

/** An emit in progress: the context its runs store, and what it learns on the way. */
export interface EmitSpan {
  /** Stored with each run the emit starts (see migration 008). */
  carrier: TraceCarrier
  /** The checked payload, recorded when the application opted in. */
  payload(payload: JsonObject): void
}

/** The span of one execution of one step. */
export interface StepSpan {
  readonly context: Context
  exception(err: unknown): void
  end(outcome: StepOutcome | undefined, failure?: unknown): void
}

export interface TracingOptions {
  mode: string
  payloadAttributes: boolean
}

/**
 * Spans through the global tracer provider. `tracer()` is the per-step check: a few property
 * reads and no allocation while no SDK is registered, and it notices an SDK registered after the
 * engine was created (the API's proxy provider gets its delegate then).
 */
export function createTracing(api: OtelApi, options: TracingOptions) {
  let seen: unknown
  let tracer: Tracer | undefined
  // Parsed parents by stored context: the steps of a run (and of the runs one emit started) share one.
  const parents = new Map<string, Context>()

  function parentOf(carrier: TraceCarrier | undefined): Context {
    if (!carrier?.traceparent) return api.ROOT_CONTEXT
    const key = carrier.tracestate ? `${carrier.traceparent};${carrier.tracestate}` : carrier.traceparent
    let parent = parents.get(key)
    if (!parent) {
      parent = contextFrom(api, carrier)
      if (parents.size >= 1000) parents.clear()
      parents.set(key, parent)
    }
    return parent
  }

  function current(): Tracer | undefined {
    const provider = api.trace.getTracerProvider() as TracerProvider & {
      getDelegate?: () => TracerProvider
      getDelegateTracer?: (name: string) => Tracer | undefined
    }
    const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider
    if (delegate !== seen) {
      seen = delegate
      // The proxy hands out a tracer only once an SDK registered itself as its delegate.
      tracer = typeof provider.getDelegateTracer === 'function' ? provider.getDelegateTracer(SCOPE) : provider.getTracer(SCOPE)
    }
    return tracer
  }

  function fail(span: Span, err: unknown): void {
    span.recordException(err instanceof Error ? err : String(err))
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) })
  }

  async function inSpan<T>(span: Span, parent: Context, fn: () => Promise<T>): Promise<T> {
    try {
      return await api.context.with(api.trace.setSpan(parent, span), fn)
    } catch (err) {
      fail(span, err)
      throw err
    } finally {
      span.end()
    }
  }

  return {
    current,

    /**
     * `pulse.emit`, a child of `parent` (a step's span for `ctx.emit`) or of the caller's active
     * span: the context of this span is what the runs store, so their steps are its children.
     */
    async emit<T>(tracer: Tracer, subject: EmitSubject, parent: Context | undefined, fn: (span: EmitSpan) => Promise<T>, summary: (result: T) => EmitSummary): Promise<T> {
      const context = parent ?? api.context.active()
      const attributes = { [ATTR.mode]: options.mode } as Record<string, string>
      if (typeof subject.tenantId === 'string') attributes[ATTR.tenantId] = subject.tenantId
      if (typeof subject.type === 'string') attributes[ATTR.signalType] = subject.type
      if (typeof subject.source === 'string') attributes[ATTR.signalSource] = subject.source
      const span = tracer.startSpan('pulse.emit', { kind: api.SpanKind.PRODUCER, attributes }, context)
      const emitSpan: EmitSpan = {
        carrier: carrierOf(span.spanContext()),
        payload: (payload) => {
          if (options.payloadAttributes) span.setAttribute(ATTR.signalPayload, payloadAttribute(payload))
        },
      }
      return inSpan(span, context, async () => {
        const result = await fn(emitSpan)
        const done = summary(result)
        span.setAttributes({ [ATTR.signalId]: done.signalId, [ATTR.runsStarted]: done.runs, [ATTR.signalDeduplicated]: done.deduplicated })
        return result
      })
    },

    /**
     * `pulse.replay`: the replayed runs get a trace of their own (a child of the caller's active
     * span, if any), linked to the trace of the runs the signal first started, so a replay never
     * adds spans to the original trace.
     */
    async replay<T>(tracer: Tracer, trigger: { id: string; tenantId: string; type: string }, originals: TraceCarrier[], fn: (carrier: TraceCarrier) => Promise<T>): Promise<T> {
      const context = api.context.active()
      const links: Link[] = []
      for (const carrier of originals) {
        const linked = spanContextOf(api, carrier)
        if (linked) links.push({ context: linked })
      }
      const span = tracer.startSpan(
        'pulse.replay',
        {
          kind: api.SpanKind.PRODUCER,
          links,
          attributes: { [ATTR.mode]: options.mode, [ATTR.tenantId]: trigger.tenantId, [ATTR.signalId]: trigger.id, [ATTR.signalType]: trigger.type, [ATTR.runReplay]: true },
        },
        context,
      )
      return inSpan(span, context, () => fn(carrierOf(span.spanContext())))
    },

    /**
     * One execution of a step, a child of the span that started its run (read from the run's
     * stored context). Delay steps are `pulse.delay` spans from when the delay began, wait steps
     * `pulse.wait`; the rest `pulse.step`.
     */
    step(tracer: Tracer, claim: Claim): StepSpan {
      const parent = parentOf(claim.run.traceContext)
      const type = claim.step.stepType
      const name = type === 'delay' ? 'pulse.delay' : type === 'wait_for_signal' ? 'pulse.wait' : 'pulse.step'
      const span = tracer.startSpan(
        name,
        {
          kind: api.SpanKind.CONSUMER,
          attributes: stepAttributes(claim, options.mode),
          // A delay step is claimed when it has run out: its span shows the time it waited.
          ...(type === 'delay' ? { startTime: claim.step.createdAt } : {}),
        },
        parent,
      )
      let recorded = false
      return {
        context: api.trace.setSpan(parent, span),
        exception(err) {
          recorded = true
          span.recordException(err instanceof Error ? err : String(err))
        },
        end(outcome, failure) {
          if (outcome) {
            span.setAttribute(ATTR.stepOutcome, outcomeName(outcome))
            if (options.payloadAttributes && 'output' in outcome && outcome.output) span.setAttribute(ATTR.stepOutput, payloadAttribute(outcome.output))
          }
          if (failure !== undefined) {
            fail(span, failure)
          } else if (outcome?.kind === 'failed' || outcome?.kind === 'abandoned') {
            const message = outcome.kind === 'failed' ? outcome.error : 'the step was abandoned (canceled, taken over or shut down)'
            // A handler's error was recorded with its stack where it was caught; other failures
            // (a timeout, success: false) are recorded here.
            if (!recorded && outcome.kind === 'failed') span.recordException({ name: 'StepFailed', message })
            span.setStatus({ code: api.SpanStatusCode.ERROR, message })
          }
          span.end()
        },
      }
    },
  }
}

export type Tracing = ReturnType<typeof createTracing>
