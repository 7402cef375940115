import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURE_WORKFLOWS, fixtureConfig, makeProject, ok, runCli } from './support/cli.js'

describe('embedded: what the CLI writes, and where', () => {
  const dir = makeProject({ 'pulse.config.ts': fixtureConfig(), 'workflows/fixtures.ts': FIXTURE_WORKFLOWS })
  const cwd = { cwd: dir }
  const dataDir = join(dir, '.pulse')

  it('reads and dry-runs without creating a data folder', async () => {
    const runs = await runCli(['runs'], cwd)
    expect(runs.code).toBe(1)
    expect(runs.stderr).toContain(`there is no embedded database in ${dataDir} yet`)
    const run = await runCli(['run', 'run_7f3c9a1e0b5d4c2a8e6f1d9b3a7c5e20', '--json'], cwd)
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stderr)).toMatchObject({ error: { code: 'DATABASE' } })

    const plan = JSON.parse(await ok(['sync', '--dry-run', '--json'], cwd)) as { summary: Record<string, number> }
    expect(plan.summary).toEqual({ tenants: 2, created: 6, updated: 0, unchanged: 0, disabled: 0 })
    expect(await ok(['sync', '--dry-run', '--tenant', 'tenant_a'], cwd)).toContain(`no embedded database in ${dataDir} yet: every workflow would be created`)
    expect(existsSync(dataDir)).toBe(false)
  })

  it('refuses to fall back to the embedded database under CI=true unless dataDir says so', async () => {
    const refused = await runCli(['sync'], { ...cwd, env: { CI: 'true' } })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('CI is set and pulse.config.ts gives no database (is DATABASE_URL set in this job?)')
    expect(existsSync(dataDir)).toBe(false)

    writeFileSync(join(dir, 'pulse.config.ts'), fixtureConfig(`  dataDir: '.pulse',`))
    // PULSE_PROGRESS=1: progress lines as a terminal would show them.
    const synced = await runCli(['sync', '--tenant', 'tenant_a'], { ...cwd, env: { CI: 'true', PULSE_PROGRESS: '1' } })
    expect(synced.code, synced.stderr).toBe(0)
    // Creating a data folder takes seconds: the command says what it is doing meanwhile.
    expect(synced.stderr).toContain('creating the embedded database in .pulse (once; takes a few seconds)...')
    expect(synced.stdout).toContain(`using the embedded database in ${dataDir}`)
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true)
    // The command let go of the folder when it ended.
    expect(existsSync(join(dataDir, 'pulse-owner.json'))).toBe(false)
  })
})
