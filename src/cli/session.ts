import { Redis } from 'ioredis'
import pg from 'pg'
import type { Engine, EngineConfig } from '../index.js'
import { checkConnectionUrl } from './connection-url.js'
import { CliError, describeError, maskUrl } from './errors.js'
import { openEmbedded } from './embedded-session.js'
import type { LoadedConfig } from './load-config.js'

/** An engine opened for one command, and everything to close after it. */
export interface EngineSession {
  engine: Engine
  mode: 'redis' | 'postgres' | 'embedded'
  /** Where the state lives, for messages: a masked URL or the data directory. */
  target: string
  /** The masked Redis URL, when BullMQ runs on Redis. */
  redisTarget?: string
  close(): Promise<void>
}

export interface OpenOptions {
  /**
   * The command only reads: an embedded data folder that does not exist yet is not created
   * (the command fails with {@link NoEmbeddedDatabaseError} instead).
   */
  readOnly?: boolean
  /** Where progress lines go (opening the embedded database can take seconds). */
  progress?: (line: string) => void
  onStepComplete?: EngineConfig['onStepComplete']
  onRunComplete?: EngineConfig['onRunComplete']
  /** What the engine does about stored workflows whose handlers are not in the config. */
  missingHandlers?: EngineConfig['missingHandlers']
  /** Called once the engine is open, before the work: e.g. to print where the state lives. */
  onOpen?: (session: EngineSession) => void
}

/**
 * Opens the engine the config describes and registers its workflows, so emits are validated
 * against their trigger schemas. Connects eagerly: an unreachable database fails here with
 * the URL it tried, rather than deep inside a command.
 */
export async function openEngine(loaded: LoadedConfig, options: OpenOptions = {}): Promise<EngineSession> {
  const { config, lib } = loaded
  const common: EngineConfig = {
    ...config.engine,
    ...(config.tablePrefix !== undefined ? { tablePrefix: config.tablePrefix } : {}),
    ...(config.queuePrefix !== undefined ? { queuePrefix: config.queuePrefix } : {}),
    ...(options.onStepComplete ? { onStepComplete: options.onStepComplete } : {}),
    ...(options.onRunComplete ? { onRunComplete: options.onRunComplete } : {}),
    ...(options.missingHandlers && !config.engine?.missingHandlers ? { missingHandlers: options.missingHandlers } : {}),
  }

  if (!config.database) return openEmbedded(loaded, common, options)

  checkConnectionUrl('database', config.database, loaded.name)
  if (config.redis) checkConnectionUrl('redis', config.redis, loaded.name)
  const pool = new pg.Pool({ connectionString: config.database, max: 5, connectionTimeoutMillis: 5000 })
  // An idle connection the server drops must not crash the CLI.
  pool.on('error', () => undefined)
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw new CliError(
      `could not connect to Postgres at ${maskUrl(config.database)}: ${errorText(err)}. Check "database" in ${loaded.name} (often DATABASE_URL) and that the server is running.`,
      { cause: err },
    )
  }
  let redis: Redis | undefined
  if (config.redis) {
    redis = await connectRedis(config.redis, loaded.name).catch(async (err: unknown) => {
      await pool.end().catch(() => undefined)
      throw err
    })
  }
  const engine = lib.createEngine({ ...common, db: pool, ...(redis ? { redis } : {}) })
  engine.register(...loaded.workflows)
  return {
    engine,
    mode: redis ? 'redis' : 'postgres',
    target: maskUrl(config.database),
    ...(config.redis ? { redisTarget: maskUrl(config.redis) } : {}),
    async close() {
      await engine.stop()
      await pool.end().catch(() => undefined)
      redis?.disconnect()
    },
  }
}

async function connectRedis(url: string, configName: string): Promise<Redis> {
  // BullMQ needs maxRetriesPerRequest: null; the first connection is checked with a short timeout.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: 5000, retryStrategy: () => null })
  // connect() rejects with a bare "Connection is closed."; the socket's error event has the cause.
  let socketError: unknown
  redis.on('error', (err: unknown) => void (socketError ??= err))
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    redis.disconnect()
    throw new CliError(`could not connect to Redis at ${maskUrl(url)}: ${errorText(socketError ?? err)}. Check "redis" in ${configName} (often REDIS_URL) and that the server is running.`, {
      cause: err,
    })
  }
  // Reconnect normally from here on, as a long-running worker should.
  redis.options.retryStrategy = (times) => Math.min(times * 200, 2000)
  return redis
}

/** Node's connection errors are sometimes AggregateErrors with an empty message. */
function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map((e: unknown) => errorText(e)).join('; ')
  if (err instanceof Error) return err.message || String((err as { code?: unknown }).code ?? err.name)
  return String(err)
}

/**
 * Runs `work` on an engine and always stops it afterwards: the embedded data directory serves one
 * process at a time, so the CLI must let go of it before it exits.
 */
export async function withEngine<T>(loaded: LoadedConfig, work: (session: EngineSession) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const session = await openEngine(loaded, options)
  try {
    options.onOpen?.(session)
    return await work(session)
  } catch (err) {
    if ((err as { code?: unknown }).code === '42P01') {
      throw new CliError(describeError(err, { database: loaded.config.database, tablePrefix: loaded.config.tablePrefix }), { cause: err })
    }
    throw err
  } finally {
    await session.close()
  }
}
