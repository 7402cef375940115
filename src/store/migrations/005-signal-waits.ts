import type { Tables } from '../tables.js'

/**
 * Signals that steer runs: wait steps and cancel-on.
 *
 * `signal_waits`: one row per reached wait step, keyed by its step row. `match` holds, per match
 * path, the value the run's trigger has there; a signal resolves the wait when it has the same
 * values. Open waits are found by tenant and that object (a hash index over the two, so any
 * size of value fits; both sides of the lookup come from JSON written by JavaScript, so equal
 * values have equal text), so delivering a signal does not scan the open waits.
 * `signal_id` is the signal that resolved it; the unique index on (run_id, signal_id)
 * is what keeps one signal from resolving two waits of one run.
 *
 * `signal_listeners`: the (tenant, signal type) pairs some definition waits for or cancels on
 * (`cancels`), each with the sorted paths it matches on. Rows are only ever added, when definitions are
 * stored, so a signal can tell in the statement that stores it whether anything may be
 * listening (a signal nobody listens to costs one primary-key probe), and its delivery knows
 * which match objects to look up.
 *
 * `signal_deliveries`: signals stored but not yet delivered to waits and cancel-on, written in
 * the statement that stores the signal and deleted when delivery is done; what a crash leaves
 * here the reconciler delivers.
 */
export function signalWaits(t: Tables): string {
  const idx = (name: string) => `"${t.prefix}${name}"`
  return `
CREATE TABLE IF NOT EXISTS ${t.waits} (
  step_run_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  step_name TEXT NOT NULL,
  signal_types TEXT[] NOT NULL,
  match JSONB NOT NULL,
  status TEXT NOT NULL,
  signal_id TEXT,
  run_trigger_id TEXT NOT NULL,
  run_created_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  timeout_at TIMESTAMPTZ NOT NULL,
  resolved_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS ${idx('signal_waits_open')} ON ${t.waits} USING hash ((md5(tenant_id || ':' || match::text))) WHERE status = 'open';
CREATE UNIQUE INDEX IF NOT EXISTS ${idx('signal_waits_consumed')} ON ${t.waits} (run_id, signal_id) WHERE signal_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${t.listeners} (
  tenant_id TEXT NOT NULL,
  signal_type TEXT NOT NULL,
  match_paths TEXT[] NOT NULL,
  cancels BOOLEAN NOT NULL,
  PRIMARY KEY (tenant_id, signal_type, match_paths, cancels)
);
CREATE TABLE IF NOT EXISTS ${t.deliveries} (
  trigger_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE ${t.definitions} ADD COLUMN IF NOT EXISTS cancel_on JSONB;
`
}
