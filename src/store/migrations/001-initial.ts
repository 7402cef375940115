import type { Tables } from '../tables.js'

/** The original design's five tables, plus what the runtime needs to fence, version and resume. */
export function initialSchema(t: Tables): string {
  const idx = (name: string) => `"${t.prefix}${name}"`
  return `
CREATE TABLE IF NOT EXISTS ${t.triggers} (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  source TEXT NOT NULL,
  type TEXT NOT NULL,
  resource_type TEXT,
  resource_id TEXT,
  environment TEXT,
  payload JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${idx('triggers_tenant_created')} ON ${t.triggers} (tenant_id, created_at DESC);

CREATE TABLE IF NOT EXISTS ${t.definitions} (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  key TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  hash TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  trigger_type TEXT NOT NULL,
  environment_filter TEXT,
  resource_type_filter TEXT,
  steps JSONB NOT NULL,
  config JSONB NOT NULL DEFAULT '{}'::jsonb,
  is_enabled BOOLEAN NOT NULL DEFAULT true,
  cron_expression TEXT,
  cron_timezone TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS ${idx('definitions_tenant_key')} ON ${t.definitions} (tenant_id, key) WHERE key IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${idx('definitions_match')} ON ${t.definitions} (tenant_id, trigger_type) WHERE is_enabled;
CREATE INDEX IF NOT EXISTS ${idx('definitions_cron')} ON ${t.definitions} (id) WHERE cron_expression IS NOT NULL AND is_enabled;

CREATE TABLE IF NOT EXISTS ${t.runs} (
  id TEXT PRIMARY KEY,
  definition_id TEXT NOT NULL REFERENCES ${t.definitions} (id),
  tenant_id TEXT NOT NULL,
  trigger_id TEXT NOT NULL REFERENCES ${t.triggers} (id),
  status TEXT NOT NULL,
  context JSONB NOT NULL DEFAULT '{}'::jsonb,
  current_step_index INTEGER NOT NULL DEFAULT 0,
  is_replay BOOLEAN NOT NULL DEFAULT false,
  is_dry_run BOOLEAN NOT NULL DEFAULT false,
  definition_snapshot JSONB NOT NULL,
  error_message TEXT,
  started_at TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  failed_at TIMESTAMPTZ,
  canceled_at TIMESTAMPTZ,
  cancel_reason TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${idx('runs_trigger')} ON ${t.runs} (trigger_id);
CREATE INDEX IF NOT EXISTS ${idx('runs_tenant_status')} ON ${t.runs} (tenant_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS ${idx('runs_status_created')} ON ${t.runs} (status, created_at DESC);

CREATE TABLE IF NOT EXISTS ${t.steps} (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES ${t.runs} (id),
  tenant_id TEXT NOT NULL,
  step_index INTEGER NOT NULL,
  step_path INTEGER[] NOT NULL,
  step_type TEXT NOT NULL,
  step_name TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  fence BIGINT NOT NULL DEFAULT 0,
  locked_until TIMESTAMPTZ,
  branches_done INTEGER NOT NULL DEFAULT 0,
  scheduled_for TIMESTAMPTZ,
  started_at TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  result JSONB,
  error_message TEXT,
  branch_index INTEGER,
  parent_step_run_id TEXT REFERENCES ${t.steps} (id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS ${idx('steps_position')} ON ${t.steps} (run_id, step_path);
CREATE INDEX IF NOT EXISTS ${idx('steps_due')} ON ${t.steps} (scheduled_for) WHERE status IN ('pending', 'scheduled');
CREATE INDEX IF NOT EXISTS ${idx('steps_leased')} ON ${t.steps} (locked_until) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS ${idx('steps_parent')} ON ${t.steps} (parent_step_run_id) WHERE parent_step_run_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS ${t.logs} (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES ${t.runs} (id),
  step_run_id TEXT REFERENCES ${t.steps} (id),
  tenant_id TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  data JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS ${idx('logs_run')} ON ${t.logs} (run_id, created_at);
`
}
