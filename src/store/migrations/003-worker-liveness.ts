import type { Tables } from '../tables.js'

/**
 * Fast takeover after a crash. Every started engine keeps one row in `workers`, refreshed about
 * once a second; a step claim records which engine holds it (`claimed_by`). When a row is not
 * refreshed for its `timeout_ms`, another engine deletes it and hands that engine's claims on,
 * instead of waiting for each claim's lease to run out.
 *
 * `judges_from`: after a gap in its own beats (most often an outage that silenced every engine at
 * once), an engine waits one timeout before declaring others dead, so that they have reconnected
 * and beaten again by then.
 *
 * The table holds one row per live engine, so it has no index beyond its key: finding the expired
 * rows reads a handful of rows. Adding a nullable column without a default rewrites nothing.
 */
export function workerLiveness(t: Tables): string {
  return `
CREATE TABLE IF NOT EXISTS ${t.workers} (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL,
  judges_from TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE ${t.steps} ADD COLUMN IF NOT EXISTS claimed_by TEXT;
`
}
