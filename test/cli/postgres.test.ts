import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunJson, StepJson } from '../../src/cli/json-shapes.js'
import { DATABASE_URL } from '../support/services.js'
import { makeProject, ok, runCli, startCli } from './support/cli.js'

const missing = process.env.PULSE_CLI_POSTGRES_MISSING

describe.skipIf(missing !== undefined)('postgres: init -> sync --dry-run -> sync -> emit -> runs, and pulse dev', () => {
  const id = randomBytes(4).toString('hex')
  const tablePrefix = `cli${id}_`
  const queuePrefix = `qcli${id}`
  const dir = makeProject({}, { type: 'module' })
  // The starter config reads DATABASE_URL, as a user's would.
  const cwd = { cwd: dir, env: { DATABASE_URL } }

  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
    const tables = ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations']
    await pool.query(tables.map((t) => `DROP TABLE IF EXISTS "${tablePrefix}${t}" CASCADE`).join(';'))
    await pool.query(`DELETE FROM bullmq.job WHERE queue LIKE $1`, [`${queuePrefix}-%`]).catch(() => undefined)
    await pool.end()
  })

  it('stores the starter workflow in Postgres and starts a run', async () => {
    await ok(['init'], cwd)
    const configPath = join(dir, 'pulse.config.ts')
    const config = readFileSync(configPath, 'utf8').replace(
      '  database: process.env.DATABASE_URL,',
      `  database: process.env.DATABASE_URL,\n  tablePrefix: '${tablePrefix}',\n  queuePrefix: '${queuePrefix}',`,
    )
    writeFileSync(configPath, config)

    // A dry run on a database the engine has never used writes nothing, not even its tables.
    expect(await ok(['sync', '--dry-run'], cwd)).toContain('Dry run, nothing written: 1 tenant, 1 created')
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
    try {
      const before = await pool.query(`SELECT to_regclass($1) AS t`, [`${tablePrefix}workflow_definitions`])
      expect(before.rows[0].t).toBeNull()

      expect(await ok(['sync'], cwd)).toContain('Synced: 1 tenant, 1 created')
      const defs = await pool.query(`SELECT tenant_id, key, version FROM "${tablePrefix}workflow_definitions"`)
      expect(defs.rows).toEqual([{ tenant_id: 'workspace_1', key: 'welcome-new-user', version: 1 }])

      const emitted = await ok(['emit', 'user.signed_up', '-t', 'workspace_1', '-p', '{"email":"ada@example.com"}', '--resource-id', 'usr_1'], cwd)
      const runId = emitted.match(/started (run_\w+)/)?.[1]
      const runs = JSON.parse(await ok(['runs', '--tenant', 'workspace_1', '--json'], cwd)) as RunJson[]
      expect(runs.map((r) => [r.id, r.status])).toEqual([[runId, 'pending']])
      const signal = await pool.query(`SELECT resource_id, payload FROM "${tablePrefix}triggers"`)
      expect(signal.rows).toEqual([{ resource_id: 'usr_1', payload: { email: 'ada@example.com' } }])
    } finally {
      await pool.end()
    }
  })

  it('runs signals emitted by another process while pulse dev is running', async () => {
    const dev = startCli(['dev'], cwd)
    try {
      await dev.waitFor(/ready postgres engine on postgres:\/\/postgres@127\.0\.0\.1/)
      // The run emitted before dev started is picked up too.
      await dev.waitFor(/welcome-new-user send_welcome_email action completed/)
      const mark = dev.output().length
      const emitted = await ok(['emit', 'user.signed_up', '--tenant', 'workspace_1', '--payload', '{"email":"grace@example.com"}'], cwd)
      const runId = emitted.match(/started (run_\w+)/)?.[1]
      await dev.waitFor(new RegExp(`${runId} welcome-new-user send_welcome_email action completed`), { from: mark })
      const { steps } = JSON.parse(await ok(['run', runId!, '--json'], cwd)) as { steps: StepJson[] }
      expect(steps.slice(0, 2).map((s) => [s.name, s.status])).toEqual([
        ['send_welcome_email', 'completed'],
        ['wait_2d', 'scheduled'],
      ])
    } finally {
      expect(await dev.stop('SIGINT')).toBe(0)
    }
  })

  it('tells the user to migrate when the tables do not exist', async () => {
    const other = makeProject({ 'pulse.config.mjs': `export default { workflows: [], database: ${JSON.stringify(DATABASE_URL)}, tablePrefix: 'nope${id}_' }\n` })
    const result = await runCli(['runs'], { cwd: other })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`the engine's tables (prefix "nope${id}_") do not exist in ${DATABASE_URL}; run "pulse migrate"`)
  })
})
