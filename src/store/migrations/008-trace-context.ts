import type { Tables } from '../tables.js'

/**
 * The W3C trace context (`traceparent`, and `tracestate` when there is one) of the span that
 * started a run, as a JSON object, so the run's steps join that trace in whichever process runs
 * them, however long after. Written in the statement that creates the run; NULL when no tracer
 * was registered then. A nullable column without a default: adding it rewrites nothing.
 */
export function traceContext(t: Tables): string {
  return `ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS trace_context JSONB;`
}
