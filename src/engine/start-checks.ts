import { PulseConfigError } from '../errors.js'
import { readRedisPolicy } from '../queue/redis-policy.js'
import { describeMissing, missingHandlers } from '../runtime/handler-check.js'
import type { Registry } from '../runtime/registry.js'
import { LATEST_SCHEMA_VERSION, type Store } from '../store/index.js'
import type { ResolvedConfig } from './config.js'

/** The tables exist and are at the schema version this code needs. */
export async function assertSchema(store: Store, cfg: ResolvedConfig): Promise<void> {
  const version = await store.schemaVersion()
  if (version === null) {
    throw new PulseConfigError(`the engine's tables (prefix "${cfg.tablePrefix}") do not exist yet; call engine.migrate() before engine.start()`)
  }
  if (version < LATEST_SCHEMA_VERSION) {
    throw new PulseConfigError(`the engine's tables are at schema version ${version}, this version needs ${LATEST_SCHEMA_VERSION}; call engine.migrate() before engine.start()`)
  }
}

/** Redis mode: BullMQ loses jobs under any eviction policy but noeviction; say so before taking work. */
export async function checkRedisPolicy(cfg: ResolvedConfig): Promise<void> {
  if (cfg.mode.kind !== 'redis' || cfg.redisPolicyCheck === 'off') return
  const report = await readRedisPolicy(cfg.mode.redis)
  if (report.ok === true) return
  if (report.ok === 'unknown') {
    cfg.logger.info({ reason: report.reason }, 'pulse-engine: could not read Redis maxmemory-policy; make sure it is "noeviction"')
    return
  }
  const message = `pulse-engine: Redis maxmemory-policy is "${report.policy}", but BullMQ needs "noeviction": when Redis fills up it will delete queued jobs and cron schedulers. Run CONFIG SET maxmemory-policy noeviction (or set it in redis.conf / your provider's settings), or pass redisPolicyCheck: 'off' to silence this.`
  if (cfg.redisPolicyCheck === 'throw') throw new PulseConfigError(message)
  cfg.logger.error({ policy: report.policy }, message)
}

export async function checkHandlers(store: Store, registry: Registry, cfg: ResolvedConfig): Promise<void> {
  const missing = missingHandlers(registry, await store.definitions.usedHandlers())
  if (missing.length === 0) return
  const message = `pulse-engine: enabled workflows use handlers this process did not register. ${describeMissing(missing)}`
  if (cfg.missingHandlers === 'throw') throw new PulseConfigError(message)
  cfg.logger.warn({ missing }, message)
}
