import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURE_WORKFLOWS, fixtureConfig, makeProject, ok, runCli } from './support/cli.js'

const COMMANDS = ['init', 'migrate', 'sync', 'emit', 'runs', 'run', 'retry', 'cancel', 'replay', 'graph', 'dev']

// Needs no database: every command here fails or finishes before it would open one.
const project = makeProject({ 'pulse.config.ts': fixtureConfig(), 'workflows/fixtures.ts': FIXTURE_WORKFLOWS })
const empty = makeProject({})

describe('pulse --help', () => {
  it.each(COMMANDS)('prints usage and an example for "pulse %s --help" and exits 0', async (command) => {
    const result = await runCli([command, '--help'], { cwd: empty })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`Usage: pulse ${command}`)
    expect(result.stdout).toMatch(new RegExp(`Examples:\\n  pulse ${command}`))
    expect(result.stdout).not.toContain('--worker')
  })

  it('lists every command in "pulse --help"', async () => {
    const out = await ok(['--help'], { cwd: empty })
    for (const command of COMMANDS) expect(out).toMatch(new RegExp(`^  ${command} `, 'm'))
  })

  it('prints the overview for bare "pulse", exiting 0', async () => {
    const result = await runCli([], { cwd: empty })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Usage: pulse <command>')
    expect(result.stdout).toMatch(/^ {2}emit /m)
  })

  it('prints a command\'s help for "pulse help <command>"', async () => {
    const out = await ok(['help', 'emit'], { cwd: empty })
    expect(out).toContain('Usage: pulse emit <type> [flags]')
    expect(out).toContain('--resource-type <type>')
    const typo = await runCli(['help', 'emitt'], { cwd: empty })
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('unknown command "emitt"; did you mean "emit"?')
  })

  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }
    expect((await ok(['--version'], { cwd: empty })).trim()).toBe(version)
  })
})

describe('usage errors exit 2', () => {
  it.each([
    [['frobnicate'], /unknown command "frobnicate"; commands: init, migrate, sync, emit/],
    [['rnus'], /unknown command "rnus"; did you mean "runs"\?/],
    [['runs', '--bogus'], /unknown flag --bogus\n/],
    [['runs', '--tenent', 'tenant_a'], /unknown flag --tenent; did you mean --tenant\?/],
    [['emit', 'order.placed', '-t', 'tenant_a', '--resource_id', 'x'], /unknown flag --resource_id; did you mean --resource-id\?/],
    [['run'], /missing argument <runId>/],
    [['graph', 'a', 'b'], /unexpected argument "b"/],
    [['emit', 'order.placed'], /missing --tenant/],
    [['emit', 'order.placed', '--tenant', 'tenant_a', '--payload', '{nope'], /--payload is not valid JSON/],
    [['emit', 'order.placed', '--tenant', 'tenant_a', '--payload', '[1]'], /--payload must be a JSON object/],
    [['runs', '--status', 'sleeping'], /--status must be one of pending, running/],
    [['runs', '--limit', '0'], /--limit must be a whole number/],
  ])('pulse %j', async (args, message) => {
    const result = await runCli(args, { cwd: project })
    expect(result.code).toBe(2)
    expect(result.stdout + result.stderr).toMatch(message)
  })
})

describe('errors that say what to do', () => {
  it('says "pulse init" creates a config when there is none', async () => {
    const result = await runCli(['runs'], { cwd: empty })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`no pulse.config.ts in ${empty} or any folder above it; run "pulse init" to create one`)
  })

  it('names a --config file that does not exist', async () => {
    const result = await runCli(['sync', '--config', 'nope.config.ts'], { cwd: project })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(join(project, 'nope.config.ts'))
  })

  it('shows the database URL it tried, with the password masked', async () => {
    const dir = makeProject({
      'pulse.config.ts': fixtureConfig(`  database: 'postgres://app:s3cret-pw@127.0.0.1:1/appdb',`),
      'workflows/fixtures.ts': FIXTURE_WORKFLOWS,
    })
    const result = await runCli(['runs'], { cwd: dir })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('could not connect to Postgres at postgres://app:***@127.0.0.1:1/appdb')
    expect(result.stderr).toContain('ECONNREFUSED')
    expect(result.stderr).not.toContain('s3cret-pw')
  })

  it('says a database setting that is not a postgres:// URL is not one, instead of a DNS error', async () => {
    const dir = makeProject({
      'pulse.config.ts': fixtureConfig(`  database: process.env.DATABASE_URL,`),
      'workflows/fixtures.ts': FIXTURE_WORKFLOWS,
    })
    const result = await runCli(['runs'], { cwd: dir, env: { DATABASE_URL: 'not-a-url' } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('"database" in pulse.config.ts (often DATABASE_URL) is not a valid postgres:// URL: "not-a-url"')
    expect(result.stderr).not.toContain('ENOTFOUND')
  })

  it('names an unknown signal type, the types the config knows and the one most likely meant', async () => {
    const result = await runCli(['emit', 'order.placd', '--tenant', 'tenant_a', '--payload', '{"total":1}'], { cwd: project })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'error: unknown signal type "order.placd"; the workflows in pulse.config.ts know: order.placed, payment.failed, reminder.requested. Did you mean "order.placed"?\n',
    )
    // Refused before the engine opened: the embedded data folder was not created for it.
    expect(existsSync(join(project, '.pulse'))).toBe(false)
    const far = await runCli(['emit', 'shipment.lost', '--tenant', 'tenant_a', '--json'], { cwd: project })
    expect(JSON.parse(far.stderr)).toEqual({
      error: { code: 'VALIDATION', message: 'unknown signal type "shipment.lost"; the workflows in pulse.config.ts know: order.placed, payment.failed, reminder.requested' },
    })
  })

  it('warns about config keys it does not know, and goes on', async () => {
    const dir = makeProject({
      'pulse.config.ts': fixtureConfig(`  databaseUrl: 'postgres://localhost/app',\n  colour: 'blue',`),
      'workflows/fixtures.ts': FIXTURE_WORKFLOWS,
    })
    const result = await runCli(['graph', 'slow-reminder'], { cwd: dir })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('flowchart TD')
    expect(result.stderr).toContain('warning: pulse.config.ts: unknown key "databaseUrl" (did you mean "database"?); it is ignored')
    expect(result.stderr).toContain('warning: pulse.config.ts: unknown key "colour" (the keys are workflows, tenants, database')
  })

  it('rejects a tenant the config does not list', async () => {
    const result = await runCli(['emit', 'order.placed', '--tenant', 'tenant_z', '--payload', '{"total":1}'], { cwd: project })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('tenant "tenant_z" does not exist in pulse.config.ts (tenants: tenant_a, tenant_b)')
  })

  it('explains a config without workflows', async () => {
    const dir = makeProject({ 'pulse.config.mjs': 'export default { tenants: ["a"] }\n' })
    const result = await runCli(['graph', 'x'], { cwd: dir })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('workflows is missing')
  })
})

describe('pulse init', () => {
  it('writes a config and a workflow, and refuses to overwrite them without --force', async () => {
    const dir = makeProject({})
    const first = await runCli(['init'], { cwd: dir })
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('created pulse.config.ts')
    expect(first.stdout).toContain('created workflows/welcome.ts')
    expect(readFileSync(join(dir, 'pulse.config.ts'), 'utf8')).toContain('defineConfig({')

    writeFileSync(join(dir, 'pulse.config.ts'), '// mine\n')
    const again = await runCli(['init'], { cwd: dir })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('pulse.config.ts and workflows/welcome.ts already exist; pass --force to overwrite')
    expect(readFileSync(join(dir, 'pulse.config.ts'), 'utf8')).toBe('// mine\n')

    expect((await runCli(['init', '--force'], { cwd: dir })).code).toBe(0)
    expect(readFileSync(join(dir, 'pulse.config.ts'), 'utf8')).toContain('defineConfig({')
    // The starter project loads as written: its workflow graphs without a database.
    expect(await ok(['graph', 'welcome-new-user'], { cwd: dir })).toContain('s0["send_welcome_email"]')
  })

  it('keeps the embedded data folder out of git: creates .gitignore, or adds to it once', async () => {
    const fresh = makeProject({})
    expect(await ok(['init'], { cwd: fresh })).toContain('created .gitignore')
    expect(readFileSync(join(fresh, '.gitignore'), 'utf8')).toMatch(/^\.pulse\/$/m)

    const existing = makeProject({ '.gitignore': 'node_modules\ndist' })
    expect(await ok(['init'], { cwd: existing })).toContain('updated .gitignore')
    expect(await ok(['init', '--force'], { cwd: existing })).not.toContain('.gitignore')
    expect(readFileSync(join(existing, '.gitignore'), 'utf8')).toBe('node_modules\ndist\n.pulse/\n')
  })
})

describe('pulse graph', () => {
  it('prints the compiled workflow as a Mermaid flowchart', async () => {
    const out = await ok(['graph', 'process-order'], { cwd: project })
    expect(out).toBe(
      [
        'flowchart TD',
        '  start(["on order.placed<br/>environment: production"])',
        '  s0["charge_card<br/>retry 3x, backoff 5s, timeout 30s"]',
        '  s1{"is_big_order?"}',
        '  s2["notify_sales"]',
        '  s3[["fan_out<br/>parallel"]]',
        '  s3_0_0["send_email"]',
        '  s3_1_0("wait_1h<br/>delay 1h")',
        '  s3_1_1["post_slack"]',
        '  s3_join(("join"))',
        '  finish(["end"])',
        '  start --> s0',
        '  s0 --> s1',
        '  s1 -->|true| s2',
        '  s1 -->|false| s3',
        '  s2 --> s3',
        '  s3_0_0 --> s3_join',
        '  s3 -->|branch 0| s3_0_0',
        '  s3_1_0 --> s3_1_1',
        '  s3_1_1 --> s3_join',
        '  s3 -->|branch 1| s3_1_0',
        '  s3_join --> finish',
        '',
      ].join('\n'),
    )
  })

  it('lists the workflow keys when the key is unknown', async () => {
    const result = await runCli(['graph', 'nope'], { cwd: project })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('workflow "nope" is not in pulse.config.ts (workflows: process-order, always-fails, slow-reminder)')
  })

  it('loads workflows from a glob of modules', async () => {
    const dir = makeProject(
      { 'pulse.config.ts': `export default { workflows: ['./workflows/*.ts'] }\n`, 'workflows/fixtures.ts': FIXTURE_WORKFLOWS },
      { type: 'module' },
    )
    expect(await ok(['graph', 'slow-reminder'], { cwd: dir })).toContain('s0("wait_1h<br/>delay 1h")')
    // From a subfolder: the config is found above, and its glob stays relative to the config.
    mkdirSync(join(dir, 'src/deep'), { recursive: true })
    expect(await ok(['graph', 'slow-reminder'], { cwd: join(dir, 'src/deep') })).toContain('s0("wait_1h<br/>delay 1h")')
  })
})

describe('colors', () => {
  it('colors output when forced and never with NO_COLOR', async () => {
    const colored = await ok(['graph', 'nope', '--help'], { cwd: project, env: { FORCE_COLOR: '1' } })
    expect(colored).toContain('\u001b[1mUsage:')
    const plain = await ok(['graph', 'nope', '--help'], { cwd: project, env: { FORCE_COLOR: '1', NO_COLOR: '1' } })
    expect(plain).not.toContain('\u001b[')
    const error = await runCli(['graph', 'nope'], { cwd: project, env: { FORCE_COLOR: '1', NO_COLOR: '1' } })
    expect(error.stderr).toContain('error: workflow "nope"')
    expect(error.stderr).not.toContain('\u001b[')
  })

  it('prints no color codes when the output is not a terminal', async () => {
    const result = await runCli(['graph', 'nope'], { cwd: project })
    expect(result.stderr).toMatch(/^error: /)
  })
})
