import type { Tables } from '../tables.js'

/**
 * The dashboard's searches. Its payload search (`payload.orderId = 42`) asks which signals'
 * payloads contain a value; a GIN index with jsonb_path_ops answers containment (`@>`) without
 * reading every payload, and stays small because it indexes hashed paths with their values
 * only. Its runs list reads the newest runs first, of all tenants or of some, a page at a time
 * by (created_at, id): two btrees in that order, so a page is read from an index instead of
 * sorting every run (the existing indexes lead with the status).
 */
export function dashboardSearch(t: Tables): string {
  const idx = (name: string) => `"${t.prefix}${name}"`
  return `
CREATE INDEX IF NOT EXISTS ${idx('triggers_payload')} ON ${t.triggers} USING gin (payload jsonb_path_ops);
CREATE INDEX IF NOT EXISTS ${idx('runs_created')} ON ${t.runs} (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS ${idx('runs_tenant_created')} ON ${t.runs} (tenant_id, created_at DESC, id DESC);
`
}
