/** Where the integration tests find Postgres and Redis. */
export const DATABASE_URL = process.env.PULSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.PULSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export type TestMode = 'redis' | 'postgres' | 'embedded'

/** The deployment the engine suite runs against in this vitest project. */
export const MODE: TestMode = (process.env.PULSE_TEST_MODE as TestMode | undefined) ?? 'redis'

/**
 * Why the current mode's tests cannot run, or undefined when they can. The global setup records
 * which services did not answer; the embedded mode needs none.
 */
export function servicesMissing(): string | undefined {
  const missing = process.env.PULSE_TEST_SERVICES_MISSING ?? ''
  if (MODE === 'embedded') return undefined
  if (MODE === 'postgres') return missing.includes('Postgres') ? missing : undefined
  return missing || undefined
}
