/** Where the bench finds Postgres and Redis; the environment can point it elsewhere. */
export const DATABASE_URL = process.env.PULSE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.PULSE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
