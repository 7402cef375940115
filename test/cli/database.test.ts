import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskUrl } from '../../src/cli/errors.js'
import { DATABASE_URL, REDIS_URL } from '../support/services.js'
import { dropPostgresProject, FIXTURE_WORKFLOWS, fixtureConfig, makeProject, ok, runCli } from './support/cli.js'

const missing = process.env.PULSE_CLI_POSTGRES_MISSING

describe.skipIf(missing !== undefined)('commands on Postgres: where they ran, what emit stores, connection errors', () => {
  const id = randomBytes(4).toString('hex')
  const tablePrefix = `clidb${id}_`
  const dir = makeProject({
    'pulse.config.ts': fixtureConfig(
      `  database: process.env.DATABASE_URL,\n  redis: process.env.REDIS_URL,\n  tablePrefix: '${tablePrefix}',\n  queuePrefix: 'qclidb${id}',`,
    ),
    'workflows/fixtures.ts': FIXTURE_WORKFLOWS,
  })
  const onPostgres = { cwd: dir, env: { DATABASE_URL } }
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })

  beforeAll(async () => {
    await ok(['migrate'], onPostgres)
  })
  afterAll(async () => {
    await dropPostgresProject(pool, tablePrefix, `qclidb${id}`)
    await pool.end()
  })

  const storedSignal = async (signalId: string) =>
    (await pool.query(`SELECT source, resource_type FROM "${tablePrefix}triggers" WHERE id = $1`, [signalId])).rows[0] as { source: string; resource_type: string | null }

  it('stores the trigger\'s resource type unless --resource-type names another, and says where it wrote', async () => {
    const out = await ok(['emit', 'order.placed', '--tenant', 'tenant_a', '--payload', '{"total":5}'], onPostgres)
    expect(out.split('\n')[0]).toBe(`using postgres at ${maskUrl(DATABASE_URL)}`)
    const signalId = out.match(/emitted order\.placed (trg_\w+)/)?.[1]
    expect(await storedSignal(signalId!)).toEqual({ source: 'shop', resource_type: 'order' })

    const other = await ok(['emit', 'order.placed', '-t', 'tenant_a', '-p', '{"total":5}', '--resource-type', 'invoice'], onPostgres)
    expect(await storedSignal(other.match(/(trg_\w+)/)![1]!)).toEqual({ source: 'shop', resource_type: 'invoice' })
  })

  it('prints no location line under --json, so stdout stays JSON', async () => {
    const runs = await ok(['runs', '--json'], onPostgres)
    expect(runs).not.toContain('using postgres')
    expect(() => JSON.parse(runs) as unknown).not.toThrow()
  })

  it('names Redis too when the queue runs on it', async () => {
    const out = await ok(['runs', '--tenant', 'tenant_b'], { cwd: dir, env: { DATABASE_URL, REDIS_URL } })
    expect(out.split('\n')[0]).toBe(`using postgres at ${maskUrl(DATABASE_URL)} (redis at ${maskUrl(REDIS_URL)})`)
  })

  it('keeps the cause of a Redis refusal', async () => {
    const result = await runCli(['runs'], { cwd: dir, env: { DATABASE_URL, REDIS_URL: 'redis://127.0.0.1:1' } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('could not connect to Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1')
    expect(result.stderr).not.toContain('Connection is closed')
  })
})
