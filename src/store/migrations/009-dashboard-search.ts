import type { Tables } from '../tables.js'

/**
 * The dashboard's payload search (`payload.orderId = 42`) asks which signals' payloads contain
 * a value; a GIN index with jsonb_path_ops answers containment (`@>`) without reading every
 * payload, and stays small because it indexes paths hashed with their values only.
 */
export function dashboardSearch(t: Tables): string {
  return `CREATE INDEX IF NOT EXISTS "${t.prefix}triggers_payload" ON ${t.triggers} USING gin (payload jsonb_path_ops);`
}
