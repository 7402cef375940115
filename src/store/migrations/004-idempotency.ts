import type { Tables } from '../tables.js'

/**
 * Idempotent emits. One row per (tenant, key) an emit was given: the signal it stored, a hash of
 * that signal as stored and one of the signal as it was sent (a repeat matches either: a schema
 * default that differs per call, a timestamp, changes only the first) and when. The row is
 * written in the statement that stores the signal, so the primary key is what makes concurrent
 * emits of one key wait for each other and store one signal. A row older than the engine's window
 * is taken over by the next emit with its key, and the reconciler deletes such rows a batch at a
 * time (by `created_at`, hence that index) so the table does not grow without end.
 *
 * No foreign key to the signal: an emit without a key never touches the table.
 */
export function idempotencyKeys(t: Tables): string {
  return `
CREATE TABLE IF NOT EXISTS ${t.idempotencyKeys} (
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  input_hash TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS "${t.prefix}idempotency_keys_created" ON ${t.idempotencyKeys} (created_at);
`
}
