import { describe, expect, it } from 'vitest'
import { FIXTURE_WORKFLOWS, fixtureConfig, makeProject, runCli, startCli } from './support/cli.js'

// Each command opens the embedded database, which takes seconds: pulse dev syncs the workflows
// the dashboards then show, so no other command is needed.
describe('pulse dashboard and the dashboard of pulse dev (embedded)', () => {
  const dir = makeProject({ 'pulse.config.ts': fixtureConfig(`  dataDir: '.data',`), 'workflows/fixtures.ts': FIXTURE_WORKFLOWS })
  const cwd = { cwd: dir }

  it('refuses a port that is not a number as a usage error', async () => {
    const result = await runCli(['dashboard', '--port', 'http'], cwd)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--port must be a port number')
  })

  it('pulse dev prints the dashboard URL and serves it beside the engine', async () => {
    const dev = startCli(['dev', '--tenant', 'tenant_a', '--dashboard-port', '0'], cwd)
    try {
      const [, url] = await dev.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+)\/runs/)
      expect((await fetch(`${url}/runs`)).status).toBe(200)
      const workflows = await (await fetch(`${url}/workflows`)).text()
      expect(workflows).toContain('always-fails')
      expect(workflows).toContain('tenant_a')
    } finally {
      expect(await dev.stop('SIGINT')).toBe(0)
    }
  })

  it('pulse dashboard serves the configured database until Ctrl-C, taking changes only from its own pages', async () => {
    const cli = startCli(['dashboard', '--port', '0'], cwd)
    try {
      const [, url] = await cli.waitFor(/dashboard for the embedded engine on .*: (http:\/\/127\.0\.0\.1:\d+)\/runs/)
      expect(await (await fetch(`${url}/workflows`)).text()).toContain('process-order')
      const forged = await fetch(`${url}/runs/run_x/cancel`, { method: 'POST', body: new URLSearchParams({ confirm: 'yes' }), headers: { origin: 'http://evil.test' } })
      expect(forged.status).toBe(403)
    } finally {
      expect(await cli.stop('SIGINT')).toBe(0)
    }
  })
})
