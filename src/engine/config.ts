import type { Pool } from 'pg'
import type { Redis } from 'ioredis'
import { PulseConfigError } from '../errors.js'
import type { CronMisfirePolicy } from '../runtime/cron.js'
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
  /** The application's pg Pool. The engine's tables live in this database. */
  db: Pool
  /** The application's ioredis client. The engine duplicates it for BullMQ; it never closes yours. */
  redis: Redis
  /** Prefix of the engine's table names. Default `pulse_`. */
  tablePrefix?: string
  /** Prefix of the engine's BullMQ queues. Default `pulse`. */
  queuePrefix?: string
  /** Step jobs this process runs at once. Default 5. */
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
  /** How often the reconciler looks for steps whose job was lost. Default 30 s. */
  reconcileIntervalMs?: number
  /** How long `stop()` waits for running handlers before aborting them and handing their steps back. Default 10 s. */
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
}

export interface ResolvedConfig extends Required<Omit<EngineConfig, 'onStepComplete' | 'onRunComplete'>> {
  onStepComplete?: LifecycleHook<StepCompleteEvent>
  onRunComplete?: LifecycleHook<RunCompleteEvent>
}

const QUEUE_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

export function resolveConfig(config: EngineConfig): ResolvedConfig {
  if (!config || typeof config !== 'object') throw new PulseConfigError('createEngine needs a config object: { db, redis }')
  if (!config.db || typeof (config.db as Partial<Pool>).query !== 'function') {
    throw new PulseConfigError('createEngine needs db: a pg Pool, e.g. new Pool({ connectionString: process.env.DATABASE_URL })')
  }
  if (!config.redis || typeof (config.redis as Partial<Redis>).duplicate !== 'function') {
    throw new PulseConfigError('createEngine needs redis: an ioredis client, e.g. new Redis(process.env.REDIS_URL)')
  }
  const queuePrefix = config.queuePrefix ?? 'pulse'
  if (!QUEUE_PREFIX_PATTERN.test(queuePrefix)) {
    throw new PulseConfigError(`queuePrefix ${JSON.stringify(queuePrefix)} is not allowed; use 1 to 64 letters, digits, "_" or "-"`)
  }
  return {
    db: config.db,
    redis: config.redis,
    tablePrefix: config.tablePrefix ?? 'pulse_',
    queuePrefix,
    concurrency: positiveInt('concurrency', config.concurrency, 5, 1000),
    onStepComplete: config.onStepComplete,
    onRunComplete: config.onRunComplete,
    logger: config.logger ?? consoleLogger,
    allowUnregisteredTriggers: config.allowUnregisteredTriggers ?? false,
    leaseMs: positiveInt('leaseMs', config.leaseMs, 30_000, 3_600_000, 1000),
    reconcileIntervalMs: positiveInt('reconcileIntervalMs', config.reconcileIntervalMs, 30_000, 3_600_000, 100),
    shutdownGraceMs: positiveInt('shutdownGraceMs', config.shutdownGraceMs, 10_000, 3_600_000, 0),
    cronMisfire: oneOf('cronMisfire', config.cronMisfire, ['run-once', 'skip'] as const, 'run-once'),
    cronMisfireGraceMs: positiveInt('cronMisfireGraceMs', config.cronMisfireGraceMs, 60_000, 86_400_000, 0),
    missingHandlers: oneOf('missingHandlers', config.missingHandlers, ['throw', 'warn'] as const, 'throw'),
  }
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

const consoleLogger: EngineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj, msg) => console.warn(msg ?? obj, typeof obj === 'object' ? obj : ''),
  error: (obj, msg) => console.error(msg ?? obj, typeof obj === 'object' ? obj : ''),
}
