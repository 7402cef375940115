import { Redis } from 'ioredis'
import pg from 'pg'
import { DATABASE_URL, REDIS_URL } from './services.js'

/**
 * Finds the services the engine tests need. In CI both must answer, or the run fails here with
 * the URLs it tried; elsewhere a missing service is reported loudly and its tests are skipped.
 */
export default async function setup(): Promise<void> {
  const problems: string[] = []
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 3000 })
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    problems.push(`Postgres at ${DATABASE_URL}: ${(err as Error).message}`)
  } finally {
    await pool.end()
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => null })
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    problems.push(`Redis at ${REDIS_URL}: ${(err as Error).message}`)
  } finally {
    redis.disconnect()
  }
  if (problems.length === 0) return
  const message = [
    '',
    '*'.repeat(78),
    'pulse-engine integration tests cannot reach their services:',
    ...problems.map((p) => `  - ${p}`),
    'Set PULSE_TEST_DATABASE_URL / PULSE_TEST_REDIS_URL, or start the services.',
    '*'.repeat(78),
    '',
  ].join('\n')
  if (process.env.CI) throw new Error(message)
  console.warn(message)
  process.env.PULSE_TEST_SERVICES_MISSING = problems.join('; ')
}
