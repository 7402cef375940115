/** Where the integration tests find Postgres and Redis. */
export const DATABASE_URL = process.env.PULSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.PULSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Set by the global setup when a service could not be reached outside CI. */
export const servicesMissing = (): string | undefined => process.env.PULSE_TEST_SERVICES_MISSING || undefined
