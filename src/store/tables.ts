import { PulseConfigError } from '../errors.js'

/** Table prefixes become part of SQL identifiers, so they are checked against this pattern. */
export const TABLE_PREFIX_PATTERN = /^[a-z_][a-z0-9_]{0,40}$/

/** Schema names are identifiers too. */
export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/

/** Quoted names of every table for one prefix. Built once, reused by every statement. */
export interface Tables {
  prefix: string
  schema: string
  /** Whether hot statements are sent as named prepared statements (see preparedStatement). */
  prepared: boolean
  migrations: string
  triggers: string
  definitions: string
  runs: string
  steps: string
  logs: string
  /** One liveness row per started engine; see WorkerStore. */
  workers: string
  /** Reached wait steps and the signal that resolved each; see WaitStore. */
  waits: string
  /** (tenant, signal type) pairs some definition waits for or cancels on. */
  listeners: string
  /** Signals stored but not yet delivered to waits and cancel-on. */
  deliveries: string
  /** The idempotency keys of emits, per tenant; see SignalStore.persistKeyedMany. */
  idempotencyKeys: string
  /** Signals that matched a workflow but started no run under its flow control, and why. */
  skippedStarts: string
}

/**
 * Resolves table names for a prefix, refusing anything that is not a plain lower-case identifier:
 * the prefix is the one piece of SQL that cannot be a bound parameter.
 */
export function tablesFor(prefix: string, schema = 'public', prepared = false): Tables {
  if (typeof prefix !== 'string' || !TABLE_PREFIX_PATTERN.test(prefix)) {
    throw new PulseConfigError(
      `tablePrefix ${JSON.stringify(prefix)} is not allowed; use 1 to 41 lower-case letters, digits or "_", starting with a letter or "_" (for example "pulse_")`,
    )
  }
  if (typeof schema !== 'string' || !SCHEMA_PATTERN.test(schema)) {
    throw new PulseConfigError(`schema ${JSON.stringify(schema)} is not allowed; use a lower-case identifier such as "public"`)
  }
  // Always schema-qualified: the embedded database shares one search_path among all connections.
  const q = (name: string) => `"${schema}"."${prefix}${name}"`
  return {
    prefix,
    schema,
    prepared,
    migrations: q('migrations'),
    triggers: q('triggers'),
    definitions: q('workflow_definitions'),
    runs: q('workflow_runs'),
    steps: q('workflow_step_runs'),
    logs: q('execution_logs'),
    workers: q('workers'),
    waits: q('signal_waits'),
    listeners: q('signal_listeners'),
    deliveries: q('signal_deliveries'),
    idempotencyKeys: q('idempotency_keys'),
    skippedStarts: q('skipped_starts'),
  }
}
