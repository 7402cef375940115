import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboard, type DashboardHandler, type TenantAccess } from '../../src/dashboard/index.js'
import { PulseValidationError } from '../../src/index.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing, type TestMode } from '../support/services.js'
import { HOSTILE, seedDashboard, type Seeded } from './fixture.js'

const ORIGIN = 'http://dash.test'
const BASE = '/admin/pulse'

/** The tenants each test user may see: the `x-user` header names the user. */
const USERS: Record<string, TenantAccess> = { staff: 'all', acme: ['acme'], nobody: [] }

// The pages run the same SQL in every mode, and the browser tests cover both the embedded and the
// redis mode end to end; here one mode is enough, the quicker one to start.
const modes: TestMode[] = servicesMissing() === undefined ? ['redis'] : ['embedded']

describe.each(modes)('the dashboard over HTTP (%s mode)', (mode) => {
  let t: TestEngine
  let seeded: Seeded
  let handler: DashboardHandler
  let databaseUrl: string

  beforeAll(async () => {
    t = await startTestEngine({}, { mode })
    seeded = await seedDashboard(t.engine)
    databaseUrl = (await t.engine.info()).databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test'
    handler = dashboard(t.engine, { basePath: BASE, authorize: (request) => USERS[request.headers.get('x-user') ?? ''] ?? null })
  })
  afterAll(() => t?.close())

  const get = (path: string, user = 'acme') => handler.fetch(new Request(`${ORIGIN}${BASE}${path}`, { headers: { 'x-user': user } }))
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }, user = 'acme') =>
    handler.fetch(new Request(`${ORIGIN}${BASE}${path}`, { method: 'POST', headers: { 'x-user': user, ...headers }, body: new URLSearchParams(fields) }))
  const text = async (response: Response | Promise<Response>) => (await response).text()

  it('answers 401 to a request authorize does not know and 403 to one allowed no tenant', async () => {
    expect((await get('/runs', 'stranger')).status).toBe(401)
    expect((await get('/runs', 'nobody')).status).toBe(403)
    expect((await get('/runs', 'acme')).status).toBe(200)
  })

  it('refuses a bad basePath or a missing authorize, naming the option', () => {
    expect(() => dashboard(t.engine, { basePath: 'admin pulse', authorize: () => 'all' })).toThrow(PulseValidationError)
    expect(() => dashboard(t.engine, { basePath: 'admin pulse', authorize: () => 'all' })).toThrow(/basePath/)
    expect(() => dashboard(t.engine, {} as never)).toThrow(/authorize/)
    expect(() => dashboard(t.engine.forTenant('acme') as never, { authorize: () => 'all' })).toThrow(/createEngine/)
  })

  it('lists only the tenants the viewer may see, with counts per status', async () => {
    // Counted within `orders`: the seeded nightly cron starts a run of its own when a test runs at 02:00 UTC.
    const acme = await text(get('/runs?workflow=orders'))
    expect(acme).toContain(seeded.failed.acme.id)
    expect(acme).not.toContain(seeded.failed.globex.id)
    expect(acme).toMatch(/data-count="failed">1</)
    expect(acme).toMatch(/data-count="completed">2</)
    // Asking for another tenant's runs finds a page that does not exist.
    const asked = await get('/runs?tenant=globex')
    expect(asked.status).toBe(404)
    expect(await asked.text()).not.toContain(seeded.failed.globex.id)
    const staff = await text(get('/runs', 'staff'))
    expect(staff).toContain(seeded.failed.globex.id)
  })

  it('filters by status, workflow, time range and payload field', async () => {
    const failed = await text(get('/runs?status=failed', 'staff'))
    expect(failed).toContain(seeded.failed.acme.id)
    expect(failed).not.toContain(seeded.completed.id)
    const byPayload = await text(get(`/runs?payload=${encodeURIComponent('payload.orderId = 42')}`, 'staff'))
    expect(byPayload).toContain(seeded.failed.globex.id)
    expect(byPayload).not.toContain(seeded.failed.acme.id)
    expect(await text(get(`/runs?payload=${encodeURIComponent('payload.orderId = 42')}`))).not.toContain(seeded.failed.globex.id)
    expect(await text(get('/runs?workflow=nope', 'staff'))).toContain('No runs match')
    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect(await text(get(`/runs?from=${encodeURIComponent(future)}`, 'staff'))).toContain('No runs match')
    expect(await text(get(`/runs?to=${encodeURIComponent(future)}&workflow=orders`, 'staff'))).toContain(seeded.completed.id)
  })

  it('says which filter field is wrong instead of searching', async () => {
    const response = await get(`/runs?payload=${encodeURIComponent('orderId 42')}&status=lost`)
    expect(response.status).toBe(400)
    const body = await response.text()
    expect(body).toContain('<code>payload</code>')
    expect(body).toContain('<code>status</code>')
  })

  it("answers 404 on every route for another tenant's run, signal and workflow, and leaks nothing", async () => {
    const run = seeded.failed.globex
    const responses = await Promise.all([
      get(`/runs/${run.id}`),
      get(`/live/runs/${run.id}`),
      get(`/signals/${seeded.signals.globex}`),
      get(`/workflows/${seeded.workflowIds.globex}`),
      post(`/runs/${run.id}/retry`, { confirm: 'yes' }),
      post(`/runs/${run.id}/cancel`, { confirm: 'yes' }),
      post(`/runs/${run.id}/replay`, { confirm: 'yes' }),
      post(`/signals/${seeded.signals.globex}/replay`, { confirm: 'yes' }),
    ])
    for (const response of responses) {
      expect(response.status).toBe(404)
      const body = await response.text()
      for (const secret of [run.id, seeded.signals.globex, seeded.workflowIds.globex, 'globex']) expect(body).not.toContain(secret)
    }
    expect((await t.engine.getRun(run.id))?.status).toBe('failed')
    expect(await t.engine.getRunsByTrigger(seeded.signals.globex)).toHaveLength(1)
    for (const path of ['/signals', '/workflows', '/failed']) expect(await text(get(path))).not.toContain('globex')
    for (const path of ['/runs?tenant=globex', '/failed?tenant=globex', '/signals?tenant=globex', '/workflows?tenant=globex', '/live/runs?tenant=globex']) {
      const response = await get(path)
      expect(response.status, path).toBe(404)
      expect(await response.text()).not.toContain('globex')
    }
  })

  it('shows hostile payloads, logs and errors as text, under a strict Content-Security-Policy', async () => {
    const pages = [
      await get(`/runs/${seeded.hostile.id}`),
      await get(`/signals/${seeded.hostile.triggerId}`),
      await get(`/runs/${seeded.failed.acme.id}`),
      await get('/runs'),
      await get(`/runs?payload=${encodeURIComponent(`payload.note = ${HOSTILE.attribute}`)}`),
    ]
    for (const response of pages) {
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline')
      const body = await response.text()
      expect(body).not.toContain('<script>alert')
      expect(body).not.toContain('<img src=x')
      expect(body).not.toMatch(/href="javascript:/i)
      // The only script is the package's file; no inline handlers or styles.
      expect(body.match(/<script[^>]*>/g)).toEqual([`<script src="${BASE}/assets/dashboard.js" defer>`])
      // Attribute values are quoted and escaped; outside them no tag has an event handler or a style.
      const tags = body.replace(/"[^"]*"/g, '""')
      expect(tags).not.toMatch(/<[a-z][^<>]*\son[a-z]+=/i)
      expect(tags).not.toMatch(/<[a-z][^<>]*\sstyle=/i)
      expect(body).not.toContain(databaseUrl)
      expect(body).not.toMatch(/postgres(ql)?:\/\//)
    }
    const run = await text(get(`/runs/${seeded.hostile.id}`))
    // Shown as JSON text (its quotes backslashed), escaped for HTML.
    expect(run).toContain('&lt;script&gt;alert(\\&quot;pulse\\&quot;)&lt;/script&gt;')
    expect(run).toContain('\\&quot;&gt;&lt;img src=x onerror=alert(1)&gt;')
    expect(run).toContain('&quot;javascript:alert(1)&quot;')
  })

  it('draws a timeline lane per step, branches included, and says why a run stopped', async () => {
    const body = await text(get(`/runs/${seeded.completed.id}`))
    const lanes = [...body.matchAll(/<g class="lane lane-(\w+)" data-step="([^"]+)" data-depth="(\d)"/g)].map((m) => `${m[2]}:${m[3]}`)
    expect(lanes).toEqual(['charge:0', 'settle:0', 'fulfil:0', 'ship_a:1', 'ship_b:1'])
    expect(body).toContain('class="sleep"')
    expect(body).toContain('Completed at')
    expect(body).toContain('version 1')
    const failed = await text(get(`/runs/${seeded.failed.acme.id}`))
    expect(failed).toContain('Failed at step charge')
    expect(failed).toContain('class="attempt"')
  })

  it('refuses state changes without a same-origin POST and asks for confirmation', async () => {
    const run = seeded.failed.acme
    expect((await post(`/runs/${run.id}/retry`, { confirm: 'yes' }, {})).status).toBe(403)
    expect((await post(`/runs/${run.id}/retry`, { confirm: 'yes' }, { origin: 'http://evil.test' })).status).toBe(403)
    expect((await post(`/runs/${run.id}/retry`, { confirm: 'yes' }, { 'sec-fetch-site': 'cross-site', origin: ORIGIN })).status).toBe(403)
    expect((await get(`/runs/${run.id}/retry`)).status).toBe(404)
    const unconfirmed = await post(`/runs/${run.id}/retry`, {})
    expect(unconfirmed.status).toBe(200)
    expect(await unconfirmed.text()).toContain('name="confirm" value="yes"')
    expect((await t.engine.getRun(run.id))?.status).toBe('failed')
  })

  it('retries one run, then bulk-retries every failed run matching a filter', async () => {
    seeded.heal()
    const one = await post(`/runs/${seeded.failed.acme.id}/retry`, { confirm: 'yes' }, { 'sec-fetch-site': 'same-origin' })
    expect(one.status).toBe(303)
    expect(one.headers.get('location')).toBe(`${BASE}/runs/${seeded.failed.acme.id}?notice=retried`)
    expect((await waitForRun(t.engine, seeded.failed.acme.id)).status).toBe('completed')
    const bulk = await post('/runs/bulk', { action: 'retry', payload: 'payload.orderId = 42', confirm: 'yes' }, { origin: ORIGIN }, 'staff')
    expect(bulk.status).toBe(303)
    expect(bulk.headers.get('location')).toContain('n=1')
    expect((await waitForRun(t.engine, seeded.failed.globex.id)).status).toBe('completed')
    await eventually(async () => ((await text(get('/failed', 'staff'))).includes('No runs match') ? true : undefined))
  })

  it('tells what a signal did and streams changes of a run', async () => {
    const signal = await text(get(`/signals/${seeded.completed.triggerId}`))
    expect(signal).toContain('Runs started (1)')
    expect(signal).toContain(seeded.completed.id)
    const live = await get(`/live/runs/${seeded.completed.id}`)
    expect(live.headers.get('content-type')).toContain('text/event-stream')
    const reader = live.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('event: ready')
    await reader.cancel()
    // A page rendered at an older version is told at once that the run changed since.
    const stale = await get(`/live/runs/${seeded.completed.id}?v=0000`)
    const staleReader = stale.body!.getReader()
    let received = ''
    while (!received.includes('event: change')) received += new TextDecoder().decode((await staleReader.read()).value)
    await staleReader.cancel()
  })

  it('answers through its Node form, also where a framework strips its mount path as Express does', async () => {
    const server = createServer((req, res) => {
      // Express's app.use('/admin/pulse', handler.node): the mount path leaves req.url, req.originalUrl keeps it.
      Object.assign(req, { originalUrl: req.url })
      req.url = req.url!.slice(BASE.length) || '/'
      void handler.node(req, res)
    })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${BASE}/runs`, { headers: { 'x-user': 'acme' } })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
      expect(await response.text()).toContain(`href="${BASE}/runs/${seeded.completed.id}"`)
    } finally {
      server.close()
    }
  })

  it('shows workflows with their cron ticks and step graph', async () => {
    const list = await text(get('/workflows'))
    expect(list).toContain('nightly-report')
    expect(list).toMatch(/next: \d{4}-\d\d-\d\d 02:00:00\.000 UTC/)
    const one = await text(get(`/workflows/${seeded.workflowIds.acme}`))
    expect([...one.matchAll(/<g class="node node-(\w+)" data-step="([^"]+)"/g)].map((m) => m[2])).toEqual(['charge', 'settle', 'fulfil', 'ship_a', 'ship_b'])
  })
})
