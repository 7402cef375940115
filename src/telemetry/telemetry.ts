import type { Context } from '@opentelemetry/api'
import type { Claim, RunRecord, TraceCarrier } from '../store/index.js'
import type { StepOutcome } from '../runtime/run-state.js'
import { loadOtelApi, type OtelApi } from './load-api.js'
import { createMetrics, type Metrics, type WaitingSteps } from './metrics.js'
import { createTracing, type EmitSpan, type EmitSubject, type EmitSummary, type Tracing } from './tracer.js'

/**
 * The `telemetry` option of `createEngine`. Tracing and metrics go through the global
 * OpenTelemetry API (`@opentelemetry/api`, an optional peer dependency): with no SDK registered,
 * or the package not installed, the engine emits nothing and pays one cheap check per step.
 *
 * @example
 * ```ts
 * const engine = createEngine({ db, redis, telemetry: { payloadAttributes: true, metricsPerTenant: true } })
 * ```
 */
export interface TelemetryOptions {
  /**
   * Record signal payloads (`pulse.signal.payload` on `pulse.emit`) and step outputs
   * (`pulse.step.output`) as span attributes, as JSON cut at 4096 characters. Default false:
   * payloads often hold personal data, and spans travel to places your database does not.
   */
  payloadAttributes?: boolean
  /**
   * Add `pulse.tenant_id` to the attributes of every metric. Default false: each tenant then
   * makes series of its own, which a backend bills for. Spans always carry the tenant.
   */
  metricsPerTenant?: boolean
}

/** One execution of a step, as telemetry sees it. */
export interface StepWatch {
  /** The step's span context (an OpenTelemetry Context) for signals its handler emits; undefined without tracing. */
  readonly parent: unknown
  /** Runs `fn` with the step's span active, so spans the handler makes are its children. */
  within<T>(fn: () => Promise<T>): Promise<T>
  /** A handler threw: recorded on the span as an exception event, with its stack. */
  exception(err: unknown): void
  /** The execution is over: its outcome, or what went wrong before there was one. */
  end(outcome: StepOutcome | undefined, failure?: unknown): void
}

/** What the runtime calls. Every method is a cheap no-op while no SDK is registered. */
export interface Telemetry {
  /** Set while the optional API is still being looked for; an emit waits for it once. */
  readonly loading: Promise<void> | null
  /** Starts watching a claimed step, or returns undefined when neither tracing nor metrics are on. */
  step(claim: Claim): StepWatch | undefined
  /** Runs an emit in a `pulse.emit` span, a child of `parent` (a step's context) or of the active span. */
  emit<T>(subject: EmitSubject, parent: unknown, fn: (span: EmitSpan | undefined) => Promise<T>, summary: (result: T) => EmitSummary): Promise<T>
  /** Whether a replay would be traced (its caller then reads the original runs' contexts to link to). */
  tracesReplays(): boolean
  /** Runs a replay in a `pulse.replay` span of a new trace, linked to `originals`. */
  replay<T>(trigger: { id: string; tenantId: string; type: string }, originals: TraceCarrier[], fn: (carrier: TraceCarrier | undefined) => Promise<T>): Promise<T>
  runsStarted(runs: readonly RunRecord[]): void
  runEnded(run: RunRecord): void
  /** Where the steps-waiting gauge reads its counts (a started engine), or undefined to stop. */
  observeWaiting(read: (() => Promise<WaitingSteps>) | undefined): void
}

const untraced = <T>(fn: (span: undefined) => Promise<T>) => fn(undefined)

/** Telemetry turned off (`telemetry: false`): the API is not even looked for. */
export const NO_TELEMETRY: Telemetry = {
  loading: null,
  step: () => undefined,
  emit: (_subject, _parent, fn) => untraced(fn),
  tracesReplays: () => false,
  replay: (_trigger, _originals, fn) => untraced(fn),
  runsStarted: () => undefined,
  runEnded: () => undefined,
  observeWaiting: () => undefined,
}

/**
 * Telemetry for one engine. The API is imported lazily, at once but without blocking
 * `createEngine`; until it is found (or when it is not installed) nothing is recorded.
 */
export function createTelemetry(options: TelemetryOptions | false | undefined, engine: { mode: string; tablePrefix: string }): Telemetry {
  const { mode, tablePrefix } = engine
  if (options === false) return NO_TELEMETRY
  let api: OtelApi | null = null
  let tracing: Tracing | undefined
  let metrics: Metrics | undefined
  let waiting: (() => Promise<WaitingSteps>) | undefined

  const telemetry: Telemetry = {
    loading: loadOtelApi().then((found) => {
      if (found) {
        api = found
        tracing = createTracing(found, { mode, payloadAttributes: options?.payloadAttributes === true })
        metrics = createMetrics(found, { perTenant: options?.metricsPerTenant === true, tablePrefix })
        metrics.observeWaiting(waiting)
      }
      ;(telemetry as { loading: Promise<void> | null }).loading = null
    }),

    step(claim) {
      if (!tracing || !metrics || !api) return undefined
      const tracer = tracing.current()
      const metered = metrics.enabled()
      if (!tracer && !metered) return undefined
      if (metered) metrics.stepStarted(claim)
      const span = tracer ? tracing.step(tracer, claim) : undefined
      const began = performance.now()
      const context = api.context
      const m = metrics
      return {
        parent: span?.context,
        within: (fn) => (span ? context.with(span.context, fn) : fn()),
        exception: (err) => span?.exception(err),
        end(outcome, failure) {
          span?.end(outcome, failure)
          if (metered) m.stepEnded(claim, outcome, (performance.now() - began) / 1000)
        },
      }
    },

    async emit(subject, parent, fn, summary) {
      if (telemetry.loading) await telemetry.loading
      const tracer = tracing?.current()
      if (!tracing || !tracer) return fn(undefined)
      return tracing.emit(tracer, subject, parent as Context | undefined, fn, summary)
    },

    tracesReplays: () => tracing?.current() !== undefined,

    async replay(trigger, originals, fn) {
      const tracer = tracing?.current()
      if (!tracing || !tracer) return fn(undefined)
      return tracing.replay(tracer, trigger, originals, fn)
    },

    runsStarted: (runs) => metrics?.runsStarted(runs),
    runEnded: (run) => metrics?.runEnded(run),
    observeWaiting(read) {
      waiting = read
      metrics?.observeWaiting(read)
    },
  }
  return telemetry
}
