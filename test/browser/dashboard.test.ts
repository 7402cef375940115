import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboard, type TenantAccess } from '../../src/dashboard/index.js'
import { startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing, type TestMode } from '../support/services.js'
import { seedDashboard, type Seeded } from '../dashboard/fixture.js'

const CHROMIUM = '/usr/bin/chromium'
export const ARTEFACTS = resolve(import.meta.dirname, '../../artefacts/browser')
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** The users of the test app: the `user` cookie names one. */
const USERS: Record<string, TenantAccess> = { staff: 'all', acme: ['acme'] }

const modes: TestMode[] = servicesMissing() === undefined ? ['embedded', 'redis'] : ['embedded']
// .ci/run installs Chromium; in CI its absence is a failure, elsewhere these tests are skipped.
if (process.env.CI && !existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`)

/** Runs axe in the page (evaluated through the DevTools protocol, which the page's CSP does not govern) and returns the serious and critical violations. */
async function seriousViolations(page: Page): Promise<string[]> {
  const violations = await page.evaluate(`${AXE_SOURCE}
    axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`)
  return (violations as { id: string; impact: string; nodes: string[] }[]).filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.join(', ')}`)
}

describe.skipIf(!readable(CHROMIUM))('the dashboard in headless Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(ARTEFACTS, { recursive: true })
    // launch() gives Chromium a fresh temporary --user-data-dir of its own (and refuses one passed in).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  afterAll(() => browser?.close())

  describe.each(modes)('%s mode', (mode) => {
    let t: TestEngine
    let seeded: Seeded
    let server: Server
    let origin: string
    const base = '/ops/pulse'
    const cspProblems: string[] = []
    const contexts: BrowserContext[] = []

    beforeAll(async () => {
      t = await startTestEngine({}, { mode })
      seeded = await seedDashboard(t.engine)
      const handler = dashboard(t.engine, {
        basePath: base,
        authorize: (request) => USERS[/(?:^|; )user=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1] ?? ''] ?? null,
        liveIntervalMs: 200,
      })
      server = createServer((req, res) => void handler.node(req, res))
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      for (const c of contexts) await c.close()
      server?.closeAllConnections()
      await new Promise((ok) => server?.close(ok))
      await t?.close()
      expect(cspProblems).toEqual([])
    })

    const open = async (user: string) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
      contexts.push(context)
      await context.addCookies([{ name: 'user', value: user, url: origin }])
      const page = await context.newPage()
      page.on('console', (m) => {
        if (/Content.Security.Policy|Refused to/i.test(m.text())) cspProblems.push(m.text())
      })
      page.on('dialog', (d) => void d.accept())
      return page
    }
    const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTEFACTS, `${mode}-${name}.png`), fullPage: true })

    it('lists runs, filters by payload, opens a run whose timeline has a bar per step, with no serious axe violations', async () => {
      const page = await open('staff')
      // Counted within `orders`: the seeded nightly cron starts a run of its own when a test runs at 02:00 UTC.
      await page.goto(`${origin}${base}/runs?workflow=orders`)
      await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(4)
      expect(await seriousViolations(page)).toEqual([])
      await shot(page, 'runs')

      await page.fill('input[name="payload"]', 'payload.orderId = 42')
      await page.click('form.filters button[type="submit"]')
      await page.waitForURL(/payload=payload\.orderId/)
      expect(await page.locator('table.runs tbody tr').count()).toBe(1)
      await expect.poll(() => page.locator('table.runs tbody tr').first().getAttribute('data-run')).toBe(seeded.failed.globex.id)

      await page.goto(`${origin}${base}/runs`)
      await page.click(`a.run-link[href$="${seeded.completed.id}"]`)
      await page.waitForURL(new RegExp(`/runs/${seeded.completed.id}$`))
      const steps = await t.engine.getRunSteps(seeded.completed.id)
      expect(await page.locator('svg.timeline g.lane').count()).toBe(steps.length)
      expect(await page.locator('svg.timeline g.lane rect.exec').count()).toBe(steps.length)
      expect(await seriousViolations(page)).toEqual([])
      await shot(page, 'run')
      // The README's picture: PULSE_DOCS_SCREENSHOT=1 npx vitest run --project browser test/browser
      if (process.env.PULSE_DOCS_SCREENSHOT && mode === 'embedded') await page.screenshot({ path: resolve(import.meta.dirname, '../../docs/dashboard.png') })

      // axe on one page of each kind (the lists share their markup); a screenshot of each.
      for (const [name, path, axe] of [
        ['signals', '/signals', false],
        ['signal', `/signals/${seeded.completed.triggerId}`, true],
        ['workflows', '/workflows', false],
        ['workflow', `/workflows/${seeded.workflowIds.acme}`, true],
        ['failed', '/failed', false],
      ] as const) {
        await page.goto(`${origin}${base}${path}`)
        if (axe) expect(await seriousViolations(page), name).toEqual([])
        await shot(page, name)
      }
    })

    it('retries a failed run from its page and sees it complete live, then bulk-retries a filter', async () => {
      seeded.heal()
      const page = await open('staff')
      await page.goto(`${origin}${base}/runs/${seeded.failed.acme.id}`)
      await page.click('form[action$="/retry"] button')
      await page.waitForURL(/notice=retried/)
      // The page updates itself (server-sent events) when the run completes.
      await expect.poll(() => page.locator('.facts .badge').first().textContent(), { timeout: 20_000 }).toBe('completed')
      await shot(page, 'retried')

      await page.goto(`${origin}${base}/failed?payload=${encodeURIComponent('payload.orderId = 42')}`)
      await page.click('form[action$="/runs/bulk"] button')
      await page.waitForURL(/notice=bulk-retried/)
      expect(await page.locator('.notice').textContent()).toContain('(1 run)')
      expect((await waitForRun(t.engine, seeded.failed.globex.id)).status).toBe('completed')
    })

    it("shows a tenant's user nothing of another tenant, on any page", async () => {
      const page = await open('acme')
      for (const path of [`/runs/${seeded.failed.globex.id}`, `/signals/${seeded.signals.globex}`, `/workflows/${seeded.workflowIds.globex}`, `/live/runs/${seeded.failed.globex.id}`]) {
        const response = await page.goto(`${origin}${base}${path}`)
        expect(response?.status(), path).toBe(404)
        expect(await page.content()).not.toContain('globex')
      }
      for (const path of ['/runs', '/runs?tenant=globex', '/failed', '/signals', '/workflows']) {
        await page.goto(`${origin}${base}${path}`)
        expect(await page.content(), path).not.toContain('globex')
      }
      await page.goto(`${origin}${base}/runs?workflow=orders`)
      expect(await page.locator('table.runs tbody tr').count()).toBe(3)
      await shot(page, 'tenant-acme')
    })
  })
})

function readable(path: string): boolean {
  return existsSync(path)
}
