import type { Pool } from 'pg'
import type { Redis } from 'ioredis'
import { PulseConfigError } from '../errors.js'
import type { CronMisfirePolicy } from '../runtime/cron.js'
import { tenantWeightsProblem, type TenantWeights } from '../runtime/fair-share.js'
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_PAYLOAD_BYTES } from '../runtime/json-limits.js'
import type { TelemetryOptions } from '../telemetry/index.js'
import type { EngineLogger, LifecycleHook, RunCompleteEvent, StepCompleteEvent } from '../types.js'

/**
 * Options of {@link createEngine}.
 *
 * @example
 * ```ts
 * const engine = createEngine({
 *   db: new Pool({ connectionString: process.env.DATABASE_URL }),
 *   redis: new Redis(process.env.REDIS_URL),
 *   concurrency: 10,
 *   onRunComplete: ({ run, status }) => metrics.increment(`runs.${status}`),
 * })
 * ```
 */
export interface EngineConfig {
  /**
   * The application's pg Pool; the engine's tables live in this database. Without it the engine
   * runs embedded: an in-process Postgres (PGlite) on `dataDir`.
   */
  db?: Pool
  /**
   * The application's ioredis client: BullMQ runs on Redis (the engine duplicates the client and
   * never closes yours). Without it, BullMQ runs on Postgres: the `db` database, or the embedded one.
   */
  redis?: Redis
  /** Embedded mode only: where the database lives. Default `.pulse`; `false` or `':memory:'` keeps it in memory. */
  dataDir?: string | false
  /** Schema of the engine's tables. Default `public`. */
  schema?: string
  /** Postgres mode: schema of BullMQ's job tables. Default `bullmq`. */
  queueSchema?: string
  /**
   * Postgres mode: how BullMQ connects (it opens small pools of its own). By default the
   * connection settings of `db` are reused.
   */
  queueConnection?: string | Record<string, unknown>
  /**
   * Postgres mode: also poll for new jobs every this many ms. Workers are woken by
   * LISTEN/NOTIFY; set this where notifications do not arrive (PgBouncer in transaction mode,
   * a database served by PGlite). The embedded mode always polls.
   */
  queuePollMs?: number
  /**
   * Send the engine's hot statements as named prepared statements, so Postgres plans them once
   * per connection (in the embedded mode, once for the whole database). Default on; turn it off
   * when a pooler does not support them (PgBouncer in transaction mode before 1.21) or when the
   * database is a PGlite server of your own, shared by several connections.
   */
  preparedStatements?: boolean
  /** Prefix of the engine's table names. Default `pulse_`. */
  tablePrefix?: string
  /** Prefix of the engine's BullMQ queues. Default `pulse`. */
  queuePrefix?: string
  /**
   * Queue jobs this process runs at once. Default 5. A started engine also starts up to this many
   * of the runs it emits itself, without a queue round trip.
   */
  concurrency?: number
  onStepComplete?: LifecycleHook<StepCompleteEvent>
  onRunComplete?: LifecycleHook<RunCompleteEvent>
  /** A pino-compatible logger. By default warnings and errors go to the console. */
  logger?: EngineLogger
  /**
   * Accept `emit()` of signal types nobody registered. Off by default so that a typo in a type
   * name fails loudly instead of silently matching nothing.
   */
  allowUnregisteredTriggers?: boolean
  /** How long a step claim lives without a heartbeat before another worker may take the step. Default 30 s. */
  leaseMs?: number
  /**
   * How soon the steps claimed by a started engine that died (killed, crashed, its machine gone)
   * are handed to the other engines, instead of waiting for their leases (`leaseMs`) to run out.
   * Default 5 s. Each started engine writes a liveness row once a second (more often below 5 s)
   * and counts as dead after `workerTimeoutMs` minus one such interval without one. An engine
   * whose event loop is blocked that long (a long synchronous handler, a long GC pause) looks
   * dead too: its steps run again elsewhere and its own late results are ignored.
   */
  workerTimeoutMs?: number
  /** How often the reconciler looks for steps whose job was lost. Default 30 s. */
  reconcileIntervalMs?: number
  /**
   * How long `stop()` waits for running handlers before aborting them and handing their steps
   * back. Aborted handlers then get up to one more second to return. Default 10 s.
   */
  shutdownGraceMs?: number
  /**
   * Cron ticks that fell due while no engine ran: `'run-once'` (default) fires one late tick on
   * start, `'skip'` drops ticks delivered more than `cronMisfireGraceMs` late.
   */
  cronMisfire?: CronMisfirePolicy
  /** With `cronMisfire: 'skip'`, how late a tick may be and still fire. Default 60 s. */
  cronMisfireGraceMs?: number
  /**
   * What `start()` does when enabled workflows use handlers this process has not registered:
   * `'throw'` (default) refuses to start, `'warn'` logs them (for deployments that split
   * handlers across services).
   */
  missingHandlers?: 'throw' | 'warn'
  /**
   * Largest signal payload `emit()` accepts, in bytes of JSON. Default 256 KiB. Larger payloads
   * are refused with a `PulseValidationError` before anything is written.
   */
  maxPayloadBytes?: number
  /**
   * How long an emit's `idempotencyKey` is remembered, in ms: within this window a second emit of
   * the same tenant with the same key returns the first signal instead of storing another (and
   * `ctx.emit` in a handler that runs again returns the signal it stored the first time). An
   * older key is used afresh. Default 24 h; a whole number from 1 to 2,592,000,000 (30 days).
   */
  idempotencyWindowMs?: number
  /** Largest output (`data`) a step may record, in bytes of JSON. Default 1 MiB. */
  maxOutputBytes?: number
  /**
   * Redis mode: what `start()` does when Redis's `maxmemory-policy` is not `noeviction` (BullMQ
   * needs it: an evicting Redis drops jobs). `'warn'` (default) logs an error, `'throw'` refuses
   * to start, `'off'` does not look.
   */
  redisPolicyCheck?: 'warn' | 'throw' | 'off'
  /**
   * For local runs and demos: every delay step waits this fraction of its duration, so with
   * `0.001` a `'2d'` delay passes in about three minutes and a `'5m'` one in 0.3 s. A number
   * greater than 0 and at most 1; default 1 (delays as written). The due time stored for the
   * step is the shortened one. Leave it out in production.
   */
  delayScale?: number
  /**
   * Fair shares between tenants (on unless `false`): while tenants have new runs waiting, the
   * queue starts them in turn, tenant by tenant, so one tenant's burst cannot hold back another
   * tenant's runs. See the README's "Fair shares and flow control" for the exact rule.
   */
  fairShares?: boolean
  /**
   * A tenant's share of the engine relative to others (default 1 each): a tenant of weight 3 starts
   * three runs for every one of a tenant of weight 1 while both have runs waiting. An object of
   * tenant id -> weight, or a function; weights are numbers greater than 0 and at most 1000 (a
   * function's other answers count as 1).
   *
   * @example
   * ```ts
   * createEngine({ db, redis, tenantWeights: (tenantId) => (premium.has(tenantId) ? 4 : 1) })
   * ```
   */
  tenantWeights?: TenantWeights
  /**
   * OpenTelemetry traces and metrics, through the global API of `@opentelemetry/api` when the
   * application has it installed and an SDK registered (see README, Observability). On by
   * default, and then free until an SDK is registered; `false` does not even look for the API.
   */
  telemetry?: TelemetryOptions | false
}

/** Which of the three deployments a config describes. */
export type EngineMode =
  | { kind: 'redis'; db: Pool; redis: Redis }
  | { kind: 'postgres'; db: Pool; queueConnection: string | Record<string, unknown>; pollMs?: number }
  | { kind: 'embedded'; dataDir: string | false }

export interface ResolvedConfig
  extends Required<Omit<EngineConfig, 'onStepComplete' | 'onRunComplete' | 'db' | 'redis' | 'dataDir' | 'queueConnection' | 'queuePollMs' | 'preparedStatements' | 'tenantWeights'>> {
  tenantWeights?: TenantWeights
  mode: EngineMode
  preparedStatements: boolean
  onStepComplete?: LifecycleHook<StepCompleteEvent>
  onRunComplete?: LifecycleHook<RunCompleteEvent>
}

const DAY_MS = 86_400_000
const DEFAULT_IDEMPOTENCY_WINDOW_MS = DAY_MS

const QUEUE_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

export function resolveConfig(config: EngineConfig = {}): ResolvedConfig {
  if (typeof config !== 'object' || config === null) throw new PulseConfigError('createEngine takes a config object, e.g. { db, redis }, or nothing for the embedded mode')
  const mode = resolveMode(config)
  const queuePrefix = config.queuePrefix ?? 'pulse'
  if (!QUEUE_PREFIX_PATTERN.test(queuePrefix)) {
    throw new PulseConfigError(`queuePrefix ${JSON.stringify(queuePrefix)} is not allowed; use 1 to 64 letters, digits, "_" or "-"`)
  }
  return {
    mode,
    preparedStatements: config.preparedStatements !== false,
    schema: config.schema ?? 'public',
    queueSchema: identifier('queueSchema', config.queueSchema ?? 'bullmq'),
    tablePrefix: config.tablePrefix ?? 'pulse_',
    queuePrefix,
    concurrency: positiveInt('concurrency', config.concurrency, 5, 1000),
    onStepComplete: config.onStepComplete,
    onRunComplete: config.onRunComplete,
    logger: config.logger ?? consoleLogger,
    allowUnregisteredTriggers: config.allowUnregisteredTriggers ?? false,
    leaseMs: positiveInt('leaseMs', config.leaseMs, 30_000, 3_600_000, 1000),
    workerTimeoutMs: positiveInt('workerTimeoutMs', config.workerTimeoutMs, 5_000, 3_600_000, 500),
    reconcileIntervalMs: positiveInt('reconcileIntervalMs', config.reconcileIntervalMs, 30_000, 3_600_000, 100),
    shutdownGraceMs: positiveInt('shutdownGraceMs', config.shutdownGraceMs, 10_000, 3_600_000, 0),
    cronMisfire: oneOf('cronMisfire', config.cronMisfire, ['run-once', 'skip'] as const, 'run-once'),
    cronMisfireGraceMs: positiveInt('cronMisfireGraceMs', config.cronMisfireGraceMs, 60_000, 86_400_000, 0),
    missingHandlers: oneOf('missingHandlers', config.missingHandlers, ['throw', 'warn'] as const, 'throw'),
    maxPayloadBytes: positiveInt('maxPayloadBytes', config.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES, 64 * 1024 * 1024, 2),
    idempotencyWindowMs: positiveInt('idempotencyWindowMs', config.idempotencyWindowMs, DEFAULT_IDEMPOTENCY_WINDOW_MS, 30 * DAY_MS),
    maxOutputBytes: positiveInt('maxOutputBytes', config.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES, 256 * 1024 * 1024, 2),
    redisPolicyCheck: oneOf('redisPolicyCheck', config.redisPolicyCheck, ['warn', 'throw', 'off'] as const, 'warn'),
    delayScale: fraction('delayScale', config.delayScale),
    fairShares: config.fairShares !== false,
    tenantWeights: checkedWeights(config.tenantWeights),
    telemetry: telemetryOptions(config.telemetry),
  }
}

function telemetryOptions(value: EngineConfig['telemetry']): TelemetryOptions | false {
  if (value === undefined) return {}
  if (value === false) return false
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PulseConfigError(`telemetry must be an object such as { payloadAttributes: true }, or false; got ${JSON.stringify(value)}`)
  }
  const known = ['payloadAttributes', 'metricsPerTenant']
  for (const [key, option] of Object.entries(value)) {
    if (!known.includes(key)) throw new PulseConfigError(`telemetry.${key} is not an option; the options are ${known.join(', ')}`)
    if (option !== undefined && typeof option !== 'boolean') throw new PulseConfigError(`telemetry.${key} must be true or false; got ${JSON.stringify(option)}`)
  }
  return { ...value }
}

function resolveMode(config: EngineConfig): EngineMode {
  const { db, redis } = config
  if (db !== undefined && typeof (db as Partial<Pool>).query !== 'function') {
    throw new PulseConfigError('db must be a pg Pool, e.g. new Pool({ connectionString: process.env.DATABASE_URL })')
  }
  if (redis !== undefined && typeof (redis as Partial<Redis>).duplicate !== 'function') {
    throw new PulseConfigError('redis must be an ioredis client, e.g. new Redis(process.env.REDIS_URL)')
  }
  if (redis && !db) {
    throw new PulseConfigError('redis was given without db: the engine keeps its state in Postgres, so pass db (a pg Pool) too')
  }
  if (db && config.dataDir !== undefined) {
    throw new PulseConfigError('dataDir is for the embedded mode; with db the engine uses your database, so leave dataDir out')
  }
  if (db && redis) return { kind: 'redis', db, redis }
  if (db) {
    const queueConnection = config.queueConnection ?? poolSettings(db)
    const pollMs = config.queuePollMs === undefined ? undefined : positiveInt('queuePollMs', config.queuePollMs, 0, 60_000, 10)
    return { kind: 'postgres', db, queueConnection, pollMs }
  }
  const dataDir = config.dataDir === undefined ? '.pulse' : config.dataDir === ':memory:' ? false : config.dataDir
  if (dataDir !== false && (typeof dataDir !== 'string' || dataDir.length === 0)) {
    throw new PulseConfigError('dataDir must be a directory path, or false / ":memory:" for an in-memory database')
  }
  return { kind: 'embedded', dataDir }
}

/** The connection settings a pg Pool was made with, so BullMQ can open its own pools to the same database. */
function poolSettings(db: Pool): Record<string, unknown> {
  const options = (db as unknown as { options?: Record<string, unknown> }).options ?? {}
  const { max: _max, min: _min, Client: _client, ...settings } = options
  if (Object.keys(settings).length === 0) {
    throw new PulseConfigError('could not read the connection settings of db; pass queueConnection (a connection string) as well')
  }
  return settings
}

function checkedWeights(weights: TenantWeights | undefined): TenantWeights | undefined {
  const problem = tenantWeightsProblem(weights)
  if (problem) throw new PulseConfigError(problem)
  return weights
}

function identifier(name: string, value: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) throw new PulseConfigError(`${name} ${JSON.stringify(value)} must be a lower-case identifier`)
  return value
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value)) throw new PulseConfigError(`${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}; got ${JSON.stringify(value)}`)
  return value
}

function positiveInt(name: string, value: number | undefined, fallback: number, max: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PulseConfigError(`${name} must be a whole number from ${min} to ${max}; got ${String(value)}`)
  }
  return value
}

/** A scale factor in (0, 1]; 1 when absent. */
function fraction(name: string, value: number | undefined): number {
  if (value === undefined) return 1
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw new PulseConfigError(`${name} must be a number greater than 0 and at most 1 (e.g. 0.001 makes delays 1000 times shorter); got ${String(value)}`)
  }
  return value
}

const consoleLogger: EngineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj, msg) => console.warn(msg ?? obj, typeof obj === 'object' ? obj : ''),
  error: (obj, msg) => console.error(msg ?? obj, typeof obj === 'object' ? obj : ''),
}
