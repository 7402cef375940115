import type { Tables } from '../tables.js'

/**
 * Flow control at run time. A run of a workflow with `flow` records the values it is limited by:
 * `flow_group` (the workflow within its tenant), `concurrency_key`, `rate_key` (throttle and
 * rate limit) and `debounce_key`, each the workflow plus the key path's value in the run's
 * signal. `held` marks a run that has no place yet: its first step is parked (due at infinity,
 * so neither a claim nor the reconciler takes it) until admission gives it one. A concurrency
 * slot is nothing but an admitted run that has not ended, so a run that ends in any way frees
 * its slot in the transaction that ends it. `admitted_at` is when the run may start (in the
 * future for a throttled one); throttle and rate limit count these. `debounced` lists the
 * signals a debounced run stands for, oldest first. `flow_checked` marks a held run that an
 * admission pass has already let through its rate limit (it waits for a slot only, and counts
 * against the rate limit while it waits).
 *
 * `skipped_starts`: a signal that matched a workflow but started no run, and why
 * (`rate_limited`, `concurrency_skip`, `debounced`, with the run it was folded into).
 */
export function flowControl(t: Tables): string {
  const idx = (name: string) => `"${t.prefix}${name}"`
  return `
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS flow_group TEXT;
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS concurrency_key TEXT;
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS rate_key TEXT;
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS debounce_key TEXT;
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS held BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS priority SMALLINT;
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS admitted_at TIMESTAMPTZ;
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS debounced TEXT[];
ALTER TABLE ${t.runs} ADD COLUMN IF NOT EXISTS flow_checked BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS ${idx('runs_held')} ON ${t.runs} (tenant_id, flow_group, priority DESC, created_at) WHERE held;
CREATE INDEX IF NOT EXISTS ${idx('runs_slots')} ON ${t.runs} (tenant_id, concurrency_key) WHERE concurrency_key IS NOT NULL AND NOT held AND status IN ('pending', 'running', 'waiting');
CREATE INDEX IF NOT EXISTS ${idx('runs_rate')} ON ${t.runs} (tenant_id, rate_key, admitted_at) WHERE rate_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${idx('runs_debounce')} ON ${t.runs} (tenant_id, debounce_key) WHERE debounce_key IS NOT NULL AND status = 'pending' AND NOT held;
CREATE TABLE IF NOT EXISTS ${t.skippedStarts} (
  trigger_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  definition_id TEXT NOT NULL,
  workflow_key TEXT,
  reason TEXT NOT NULL,
  run_id TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${idx('skipped_starts_trigger')} ON ${t.skippedStarts} (trigger_id);
`
}
