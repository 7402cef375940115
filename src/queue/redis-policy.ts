import type { Redis } from 'ioredis'

/** What Redis says about its eviction policy. */
export type RedisPolicyReport =
  | { ok: true; policy: 'noeviction' }
  | { ok: false; policy: string }
  | { ok: 'unknown'; reason: string }

/**
 * Reads Redis's `maxmemory-policy`. BullMQ needs `noeviction`: under any other policy a Redis
 * that fills up silently deletes queued jobs (the reconciler would find their steps again, but
 * only after `reconcileIntervalMs`, and job schedulers can vanish). Managed Redis services
 * sometimes disable CONFIG; then the answer is `unknown`.
 */
export async function readRedisPolicy(redis: Redis): Promise<RedisPolicyReport> {
  const conn = redis.duplicate({ lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true })
  try {
    const reply = (await conn.config('GET', 'maxmemory-policy')) as unknown
    const values = Array.isArray(reply) ? (reply as unknown[]).map(String) : []
    const policy = values[1]
    if (policy === undefined) return { ok: 'unknown', reason: 'CONFIG GET maxmemory-policy returned nothing' }
    return policy === 'noeviction' ? { ok: true, policy } : { ok: false, policy }
  } catch (err) {
    return { ok: 'unknown', reason: err instanceof Error ? err.message : String(err) }
  } finally {
    conn.disconnect()
  }
}
