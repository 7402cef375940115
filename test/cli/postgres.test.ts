import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunJson, StepJson } from '../../src/cli/json-shapes.js'
import { DATABASE_URL, REDIS_URL } from '../support/services.js'
import { dropPostgresProject, makeProject, ok, runCli, startCli } from './support/cli.js'

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
    await dropPostgresProject(pool, tablePrefix, queuePrefix)
    await pool.end()
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${queuePrefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
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

  it("runs the starter's first run to completed in pulse dev, with its log lines under their steps", async () => {
    const dev = startCli(['dev'], cwd)
    try {
      await dev.waitFor(/ready postgres engine on postgres:\/\/postgres@127\.0\.0\.1\S*; workflows: welcome-new-user/)
      // The run emitted before dev started is picked up, and its 10 s delay runs out.
      const [, runId] = (await dev.waitFor(/(run_\w+) welcome-new-user send_welcome_email action completed/))!
      await dev.waitFor(new RegExp(`${runId} welcome-new-user run completed in`), { timeoutMs: 30_000 })
      const lines = dev.output().split('\n').filter((l) => l.includes(runId!) || /^ {9}\S/.test(l))
      const shown = lines.map((l) => l.replace(/^\d\d:\d\d:\d\d /, '').replace(/ \d+(\.\d+)?(ms|s|m)\b.*$/, ''))
      expect(shown).toEqual([
        `${runId} welcome-new-user send_welcome_email action completed`,
        '         info sending welcome email {"to":"ada@example.com"}',
        `${runId} welcome-new-user wait_10s delay completed`,
        `${runId} welcome-new-user not_activated_yet condition completed`,
        `${runId} welcome-new-user send_tips action completed`,
        '         info sending tips {"to":"ada@example.com"}',
        `${runId} welcome-new-user run completed in`,
      ])

      const mark = dev.output().length
      const emitted = await ok(['emit', 'user.signed_up', '--tenant', 'workspace_1', '--payload', '{"email":"grace@example.com"}'], cwd)
      const second = emitted.match(/started (run_\w+)/)?.[1]
      await dev.waitFor(new RegExp(`${second} welcome-new-user send_welcome_email action completed`), { from: mark })
      const { steps } = JSON.parse(await ok(['run', second!, '--json'], cwd)) as { steps: StepJson[] }
      expect(steps.slice(0, 2).map((s) => [s.name, s.status])).toEqual([
        ['send_welcome_email', 'completed'],
        ['wait_10s', 'scheduled'],
      ])
    } finally {
      expect(await dev.stop('SIGINT')).toBe(0)
    }
  })

  it('shortens delays with --fast-delays, numbers branches from 0 and names Redis on the ready line', async () => {
    // An hour's delay, then a parallel step whose branches log, on Redis this time. The delay
    // follows an action, so dev creates it (a first step's delay is due when the emitter says).
    writeFileSync(
      join(dir, 'workflows/fan-out.ts'),
      `import { action, workflow } from 'pulse-engine'
import { userSignedUp } from './welcome.js'

const left = action('left', (ctx) => void ctx.log('left here', { side: 'left' }))
const right = action('right', (ctx) => void ctx.log.warn('right here'))
const start = action('start', () => undefined)
export const fanOut = workflow('fan-out').on(userSignedUp).do(start).delay('1h').parallel('fan', (b) => b.do(left), (b) => b.do(right))
`,
    )
    const configPath = join(dir, 'pulse.config.ts')
    writeFileSync(
      configPath,
      readFileSync(configPath, 'utf8')
        .replace("import { welcome } from './workflows/welcome.js'", "import { welcome } from './workflows/welcome.js'\nimport { fanOut } from './workflows/fan-out.js'")
        .replace('workflows: [welcome],', 'workflows: [welcome, fanOut],'),
    )
    const env = { ...cwd, env: { ...cwd.env, REDIS_URL } }
    const dev = startCli(['dev', '--fast-delays'], env)
    try {
      await dev.waitFor(/ready redis engine on postgres:\/\/postgres@127\.0\.0\.1\S* with Redis at redis:\/\/127\.0\.0\.1:6379\/?; delays ×0\.001;/)
      const mark = dev.output().length
      const emitted = JSON.parse(await ok(['emit', 'user.signed_up', '-t', 'workspace_1', '-p', '{"email":"lin@example.com"}', '--json'], env)) as {
        runs: RunJson[]
      }
      const fan = emitted.runs.find((r) => r.workflowKey === 'fan-out')!.id
      const welcomeRun = emitted.runs.find((r) => r.workflowKey === 'welcome-new-user')!.id
      // The starter's ten seconds pass in 10 ms, the hour in 3.6 s: each run's end says why.
      await dev.waitFor(new RegExp(`${welcomeRun} welcome-new-user run completed in \\S+ \\(delays ×0\\.001\\)`), { from: mark })
      await dev.waitFor(new RegExp(`${fan} fan-out run completed in \\S+ \\(delays ×0\\.001\\)`), { from: mark, timeoutMs: 20_000 })
      expect(dev.output().slice(mark)).toMatch(new RegExp(`${welcomeRun} welcome-new-user wait_10s delay completed \\S+ \\(delays ×0\\.001\\)`))

      const lines = dev.output().slice(mark).split('\n')
      const ofFan = lines.filter((l, i) => l.includes(fan) || (/^ {9}\S/.test(l) && lines[i - 1]?.includes(fan)))
      const shown = ofFan.map((l) => l.replace(/^\d\d:\d\d:\d\d /, '').replace(`${fan} `, '').replace(/ \d+(\.\d+)?(ms|s|m)\b.*$/, ''))
      // Branch steps carry their branch number, log lines follow their step, the run ends last.
      expect(shown.slice(0, 2)).toEqual(['fan-out start action completed', 'fan-out wait_1h delay completed'])
      expect(shown.slice(2, 6).sort()).toEqual([
        '         info left here {"side":"left"}',
        '         warn right here',
        'fan-out left (branch 0) action completed',
        'fan-out right (branch 1) action completed',
      ])
      expect(shown[shown.indexOf('fan-out left (branch 0) action completed') + 1]).toBe('         info left here {"side":"left"}')
      expect(shown[shown.indexOf('fan-out right (branch 1) action completed') + 1]).toBe('         warn right here')
      expect(shown.slice(6)).toEqual(['fan-out fan parallel completed', 'fan-out run completed in'])

      // pulse run numbers branches as the data does, from 0.
      const text = await ok(['run', fan], env)
      expect(text).toMatch(/^ {2}b0\.0\s+left\s+action\s+completed/m)
      expect(text).toMatch(/^ {2}b1\.0\s+right\s+action\s+completed/m)
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
