import type { IncomingMessage, ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { PulseValidationError } from '../errors.js'
import { readAccessOf } from '../engine/read-access.js'
import { DashboardRunQueries, DashboardSignalQueries, DashboardWorkflowQueries } from '../store/index.js'
import { CLIENT_SCRIPT } from './assets/client-script.js'
import { STYLES } from './assets/styles.js'
import { bulkOperate } from './bulk.js'
import { noticeFor, type PageContext } from './context.js'
import { messagePage, type Html } from './layout.js'
import type { DashboardEngine, DashboardHandler, DashboardOptions } from './options.js'
import { confirmPage } from './pages/confirm-page.js'
import { runPage } from './pages/run-page.js'
import { PAGE_SIZE, runsPage } from './pages/runs-page.js'
import { signalPage, signalsPage } from './pages/signals-page.js'
import { workflowPage, workflowsPage } from './pages/workflows-page.js'
import { parseCursor, readRunFilter, type RunFilterFields } from './run-filter.js'
import { runsFingerprint, versionOf } from './live-version.js'
import { isSameOrigin, SECURITY_HEADERS } from './same-origin.js'
import { Viewer } from './viewer.js'

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/
/** A live connection is closed after this long; the browser's EventSource reconnects by itself. */
const LIVE_LIFETIME_MS = 5 * 60_000

type Env = { Variables: { ctx: PageContext } }

/**
 * A web dashboard for an engine's runs, signals and workflows, scoped per request to the
 * tenants `authorize` allows: server-rendered pages with a Gantt timeline per run, search by
 * payload field, retry / cancel / replay (also in bulk over a filter) and live updates. Mount
 * it in any HTTP server; it serves its own script and stylesheet and needs no network access.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { dashboard } from 'pulse-engine/dashboard'
 *
 * const pulse = dashboard(engine, {
 *   basePath: '/admin/pulse',
 *   authorize: async (request) => {
 *     const user = await sessions.fromCookie(request.headers.get('cookie'))
 *     if (!user) return null // 401
 *     return user.isStaff ? 'all' : user.workspaceIds // the tenants this user may see
 *   },
 * })
 * createServer(pulse.node).listen(3000)
 * // or, with a fetch-based framework: app.all('/admin/pulse/*', (c) => pulse.fetch(c.req.raw))
 * ```
 */
export function dashboard(engine: DashboardEngine, options: DashboardOptions): DashboardHandler {
  const issues = []
  const base = options?.basePath?.replace(/\/$/, '') ?? ''
  if (!BASE_PATH.test(base)) issues.push({ path: ['basePath'], message: `basePath ${JSON.stringify(options.basePath)} must be a path such as "/admin/pulse"` })
  if (typeof options?.authorize !== 'function') issues.push({ path: ['authorize'], message: 'authorize must be a function returning the tenant ids a request may see, "all", or null' })
  const liveMs = options?.liveIntervalMs ?? 1000
  if (!Number.isInteger(liveMs) || liveMs < 100 || liveMs > 60_000) issues.push({ path: ['liveIntervalMs'], message: 'liveIntervalMs must be a whole number of ms from 100 to 60000' })
  if (issues.length > 0) throw new PulseValidationError('dashboard()', issues)
  const access = readAccessOf(engine)
  const queries = {
    runs: new DashboardRunQueries(access.pool, access.tables),
    signals: new DashboardSignalQueries(access.pool, access.tables),
    workflows: new DashboardWorkflowQueries(access.pool, access.tables),
  }

  const app = base ? new Hono<Env>().basePath(base) : new Hono<Env>()
  const page = async (c: Context<Env>, body: Html | Promise<Html>, status: 200 | 400 | 401 | 403 | 404 | 409 | 500 = 200) => c.html(await body, status)

  app.use('*', async (c, next) => {
    await next()
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v)
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store')
  })
  app.get('/assets/dashboard.js', (c) => c.body(CLIENT_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }))
  app.get('/assets/dashboard.css', (c) => c.body(STYLES, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }))

  app.use('*', async (c, next) => {
    const answer = await options.authorize(c.req.raw)
    if (answer === null || answer === undefined) return page(c, messagePage(base, 'Sign in required', 'This dashboard needs you to be signed in.'), 401)
    if (answer !== 'all' && (!Array.isArray(answer) || answer.length === 0)) {
      return page(c, messagePage(base, 'Not allowed', 'You may not see any tenant on this dashboard.'), 403)
    }
    c.set('ctx', { base, viewer: new Viewer(answer === 'all' ? null : [...answer]), engine, ...queries })
    await next()
  })
  app.use('*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !isSameOrigin(c.req.raw)) {
      return page(c, messagePage(base, 'Refused', 'Changes are accepted only from the dashboard’s own pages (same origin).'), 403)
    }
    await next()
  })

  const notFound = (c: Context<Env>) => page(c, messagePage(base, 'Not found', 'There is nothing here, or you may not see it.'), 404)
  const runFor = async (c: Context<Env>) => {
    const ctx = c.get('ctx')
    const run = await engine.getRun(c.req.param('id') ?? '')
    return run && ctx.viewer.allows(run.tenantId) ? run : null
  }
  const signalFor = async (c: Context<Env>) => {
    const ctx = c.get('ctx')
    const signal = await engine.getTrigger(c.req.param('id') ?? '')
    return signal && ctx.viewer.allows(signal.tenantId) ? signal : null
  }
  /** A list asked for a tenant the viewer may not see: answered as a page that does not exist. */
  const tenantAllowed = (c: Context<Env>) => {
    const tenant = c.req.query('tenant')
    return !tenant || c.get('ctx').viewer.allows(tenant)
  }
  const notice = (c: Context<Env>) => noticeFor(c.req.query('notice'), c.req.query('n'))
  const redirect = (c: Context<Env>, path: string, params: Record<string, string>) => c.redirect(`${base}${path}?${new URLSearchParams(params).toString()}`, 303)
  const confirmOr = async (c: Context<Env>, question: string, act: (form: Record<string, string>) => Promise<Response>) => {
    const body = await c.req.parseBody()
    const form = Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'))
    if (form.confirm !== 'yes') return page(c, confirmPage(base, new URL(c.req.url).pathname, question, form))
    return act(form)
  }

  app.get('/', (c) => c.redirect(`${base}/runs`, 302))
  for (const failed of [false, true]) {
    app.get(failed ? '/failed' : '/runs', async (c) => {
      const ctx = c.get('ctx')
      if (!tenantAllowed(c)) return notFound(c)
      const read = readRunFilter((n) => c.req.query(n), ctx.viewer)
      if (failed) {
        read.fields.status = 'failed'
        read.filter.status = 'failed'
      }
      const cursor = parseCursor(c.req.query('before'))
      const n = notice(c)
      return page(c, runsPage(ctx, { ...read, failed, ...(cursor ? { cursor } : {}), ...(n ? { notice: n } : {}) }), read.issues.length > 0 ? 400 : 200)
    })
  }
  app.post('/runs/bulk', (c) =>
    confirmOr(c, 'Apply this action to every run matching the filter?', async (form) => {
      const ctx = c.get('ctx')
      const action = form.action === 'retry' || form.action === 'cancel' ? form.action : undefined
      const read = readRunFilter((n) => form[n], ctx.viewer)
      if (!action || read.issues.length > 0) return page(c, messagePage(base, 'Bad request', 'The bulk action or its filter was not understood.'), 400)
      const done = await bulkOperate(ctx, read.filter, action)
      const back: RunFilterFields = { ...read.fields }
      const params = Object.fromEntries(Object.entries(back).filter((e): e is [string, string] => typeof e[1] === 'string'))
      return redirect(c, action === 'retry' ? '/failed' : '/runs', { ...params, notice: action === 'retry' ? 'bulk-retried' : 'bulk-canceled', n: String(done) })
    }),
  )
  app.get('/runs/:id', async (c) => {
    const run = await runFor(c)
    return run ? page(c, runPage(c.get('ctx'), run, notice(c))) : notFound(c)
  })
  app.post('/runs/:id/:action{retry|cancel|replay}', async (c) => {
    const run = await runFor(c)
    if (!run) return notFound(c)
    const action = c.req.param('action')
    const scoped = engine.forTenant(run.tenantId)
    return confirmOr(c, `${action[0]!.toUpperCase()}${action.slice(1)} run ${run.id}?`, async (form) => {
      if (action === 'retry') await scoped.retryRun(run.id)
      else if (action === 'cancel') await scoped.cancelRun(run.id, 'canceled from the dashboard')
      else {
        await scoped.replay(run.triggerId, { dryRun: form.dryRun === 'true' })
        return redirect(c, `/signals/${encodeURIComponent(run.triggerId)}`, { notice: form.dryRun === 'true' ? 'dry-run' : 'replayed' })
      }
      return redirect(c, `/runs/${encodeURIComponent(run.id)}`, { notice: action === 'retry' ? 'retried' : 'canceled' })
    })
  })
  app.get('/signals', async (c) => {
    const ctx = c.get('ctx')
    if (!tenantAllowed(c)) return notFound(c)
    const before = parseCursor(c.req.query('before'))
    const tenant = c.req.query('tenant') || undefined
    const type = c.req.query('type') || undefined
    return page(c, signalsPage(ctx, { ...(tenant ? { tenant } : {}), ...(type ? { type } : {}), ...(before ? { before } : {}) }))
  })
  app.get('/signals/:id', async (c) => {
    const signal = await signalFor(c)
    return signal ? page(c, signalPage(c.get('ctx'), signal, notice(c))) : notFound(c)
  })
  app.post('/signals/:id/replay', async (c) => {
    const signal = await signalFor(c)
    if (!signal) return notFound(c)
    return confirmOr(c, `Replay signal ${signal.id}?`, async (form) => {
      await engine.forTenant(signal.tenantId).replay(signal.id, { dryRun: form.dryRun === 'true' })
      return redirect(c, `/signals/${encodeURIComponent(signal.id)}`, { notice: form.dryRun === 'true' ? 'dry-run' : 'replayed' })
    })
  })
  app.get('/workflows', async (c) => (tenantAllowed(c) ? page(c, workflowsPage(c.get('ctx'), c.req.query('tenant') || undefined)) : notFound(c)))
  app.get('/workflows/:id', async (c) => {
    const ctx = c.get('ctx')
    const def = await ctx.workflows.get(c.req.param('id'), ctx.viewer.tenants)
    return def ? page(c, workflowPage(ctx, def)) : notFound(c)
  })

  /**
   * Sends `change` whenever `fingerprint` answers differently from the version the page was
   * rendered at (`?v=`); ends when it answers null (gone) or the client leaves.
   */
  const live = (c: Context<Env>, fingerprint: () => Promise<string | null>) =>
    streamSSE(c, async (stream) => {
      const until = Date.now() + LIVE_LIFETIME_MS
      let shown = c.req.query('v') ?? null
      await stream.writeSSE({ event: 'ready', data: '' })
      while (!stream.aborted && !stream.closed && Date.now() < until) {
        const now = await fingerprint()
        if (now === null) break
        const version = versionOf(now)
        if (shown !== null && version !== shown) await stream.writeSSE({ event: 'change', data: version })
        shown = version
        await stream.sleep(liveMs)
      }
    })
  for (const failed of [false, true]) {
    app.get(failed ? '/live/failed' : '/live/runs', async (c) => {
      const ctx = c.get('ctx')
      if (!tenantAllowed(c)) return notFound(c)
      const read = readRunFilter((n) => c.req.query(n), ctx.viewer)
      if (failed) read.filter.status = 'failed'
      if (read.issues.length > 0) return page(c, messagePage(base, 'Bad request', 'The filter was not understood.'), 400)
      const cursor = parseCursor(c.req.query('before'))
      return live(c, async () => runsFingerprint((await ctx.runs.page(read.filter, cursor, PAGE_SIZE)).runs))
    })
  }
  app.get('/live/runs/:id', async (c) => {
    const ctx = c.get('ctx')
    const id = c.req.param('id')
    if ((await ctx.runs.runFingerprint(id, ctx.viewer.tenants)) === null) return notFound(c)
    return live(c, () => ctx.runs.runFingerprint(id, ctx.viewer.tenants))
  })

  app.notFound((c) => c.html(messagePage(base, 'Not found', 'There is nothing here, or you may not see it.'), 404))
  app.onError(async (err, c) => {
    const code = (err as { code?: string }).code
    if (code === 'NOT_FOUND') return c.html(await messagePage(base, 'Not found', 'There is nothing here, or you may not see it.'), 404)
    // A refused state change says which change and why; its message holds ids and statuses only.
    if (code === 'INVALID_STATE') return c.html(await messagePage(base, 'Not possible', err.message), 409)
    if (code === 'DATABASE_UNAVAILABLE') return c.html(await messagePage(base, 'Database unavailable', 'The database cannot be reached right now; try again shortly.'), 503)
    // Anything else may carry connection details: the page says nothing specific.
    console.error('pulse-engine dashboard:', err)
    return c.html(await messagePage(base, 'Something went wrong', 'The request failed; the server log has the details.'), 500)
  })

  const listener = getRequestListener((request) => app.fetch(request), { overrideGlobalObjects: false })
  return {
    fetch: async (request) => app.fetch(request),
    node: async (req: IncomingMessage, res: ServerResponse) => {
      // Express strips its mount path from req.url; the dashboard routes on the full path.
      const original = (req as IncomingMessage & { originalUrl?: string }).originalUrl
      if (typeof original === 'string') req.url = original
      await listener(req, res)
    },
  }
}
