import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Engine, TenantEngine } from '../engine/engine.js'

/**
 * What `authorize` says about a request: the tenant ids it may see, `'all'` for every tenant, or
 * null when it is not signed in (401). An empty list means signed in but allowed nothing (403).
 */
export type TenantAccess = readonly string[] | 'all' | null

/** Options of {@link dashboard}. */
export interface DashboardOptions {
  /**
   * The path the dashboard is mounted under, such as `/admin/pulse` (default: the root). Every
   * link and form the pages render starts with it.
   */
  basePath?: string
  /**
   * Decides, for each request, which tenants it may see; every page, action and live update is
   * scoped by the answer. Runs behind your own authentication: read your session cookie or
   * header here.
   */
  authorize: (request: Request) => TenantAccess | Promise<TenantAccess>
  /** How often live pages look for changes, in ms (default 1000). */
  liveIntervalMs?: number
}

/**
 * The mounted dashboard: `fetch` for runtimes and frameworks built on web-standard requests
 * (Hono, Next route handlers, Bun, Deno), `node` for `node:http` and Express.
 */
export interface DashboardHandler {
  /** Answers a web-standard request. */
  fetch(request: Request): Promise<Response>
  /**
   * Answers a Node request. Under Express, the full path is read from `req.originalUrl`, so the
   * handler works with `app.use(basePath, handler.node)`.
   */
  node(req: IncomingMessage, res: ServerResponse): Promise<void>
}

/**
 * The part of an engine the dashboard reads and operates through: its public methods and, for
 * searches the public API does not offer, read-only queries of its tables.
 */
export type DashboardEngine = Pick<Engine, 'getRun' | 'getTrigger'> & {
  forTenant(tenantId: string): Pick<TenantEngine, 'getRun' | 'getRunSteps' | 'getRunLogs' | 'getRunsByTrigger' | 'retryRun' | 'cancelRun' | 'replay'>
}
