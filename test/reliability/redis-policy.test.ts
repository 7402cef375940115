import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, PulseConfigError, type EngineLogger } from '../../src/index.js'
import { startHarness, type ReliabilityHarness } from '../support/reliability.js'
import { servicesMissing } from '../support/services.js'
import { startThrowawayRedis, type ThrowawayRedis } from '../support/throwaway-redis.js'

describe.skipIf(servicesMissing())('Redis eviction policy check at start()', () => {
  let redis: ThrowawayRedis
  let h: ReliabilityHarness
  beforeAll(async () => {
    redis = await startThrowawayRedis()
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.close()
    await redis?.stop()
  })

  const startWith = async (redisPolicyCheck: 'warn' | 'throw' | 'off' | undefined) => {
    const errors: string[] = []
    const logger: EngineLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_o, msg) => void errors.push(String(msg)) }
    const engine = createEngine({ db: h.pool, redis: redis.client(), tablePrefix: h.tablePrefix, queuePrefix: h.queuePrefix, logger, ...(redisPolicyCheck ? { redisPolicyCheck } : {}) })
    try {
      await engine.start()
      return { errors }
    } catch (err) {
      return { errors, err }
    } finally {
      await engine.stop()
    }
  }

  it('warns loudly by default, refuses with "throw", stays quiet with "off" when the policy evicts', async () => {
    await redis.client().config('SET', 'maxmemory-policy', 'allkeys-lru')
    const byDefault = await startWith(undefined)
    expect(byDefault.err).toBeUndefined()
    expect(byDefault.errors.join('\n')).toMatch(/maxmemory-policy is "allkeys-lru", but BullMQ needs "noeviction"/)
    const strict = await startWith('throw')
    expect(strict.err).toBeInstanceOf(PulseConfigError)
    expect((strict.err as Error).message).toMatch(/CONFIG SET maxmemory-policy noeviction/)
    expect(await startWith('off')).toEqual({ errors: [] })
  })

  it('says nothing when the policy is noeviction', async () => {
    await redis.client().config('SET', 'maxmemory-policy', 'noeviction')
    expect(await startWith('throw')).toEqual({ errors: [] })
  })
})
