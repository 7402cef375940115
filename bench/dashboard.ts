/**
 * The dashboard's budget: time to first byte of the runs page with many runs in the table, in
 * the embedded and the postgres mode, and the size of the page's own JavaScript.
 *
 *   node --import tsx bench/dashboard.ts [--runs 100000] [--modes embedded,postgres] [--requests 30]
 *
 * The runs and their signals are written with plain SQL (10 tenants, one in ten runs failed,
 * payloads `{ orderId, customer }`): loading them through emit would measure the engine, not the
 * page. Each page is requested over HTTP from a node:http server, as a browser would, and timed
 * from the request to its first byte; the first two requests of each page are not counted.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { CLIENT_SCRIPT } from '../src/dashboard/assets/client-script.js'
import { STYLES } from '../src/dashboard/assets/styles.js'
import { dashboard } from '../src/dashboard/index.js'
import { benchEngine, percentile, round, type Mode } from './support.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100000' }, modes: { type: 'string', default: 'embedded,postgres' }, requests: { type: 'string', default: '30' } } })
const RUNS = Number(values.runs)
const REQUESTS = Number(values.requests)

async function seed(pool: { query(text: string, values?: unknown[]): Promise<unknown> }, prefix: string, runs: number): Promise<void> {
  const t = (name: string) => `"${prefix}${name}"`
  await pool.query(
    `INSERT INTO ${t('workflow_definitions')} (id, tenant_id, key, hash, name, trigger_type, steps, config, is_enabled)
     SELECT 'wfd_bench_' || g, 'tenant_' || g, 'orders', 'h', 'Orders', 'order.placed', '[{"type":"action","name":"charge"}]'::jsonb, '{}'::jsonb, true
     FROM generate_series(0, 9) AS g`,
  )
  const batch = 50_000
  for (let from = 1; from <= runs; from += batch) {
    const to = Math.min(runs, from + batch - 1)
    await pool.query(
      `INSERT INTO ${t('triggers')} (id, tenant_id, source, type, payload, created_at)
       SELECT 'trg_bench_' || lpad(g::text, 8, '0'), 'tenant_' || (g % 10), 'shop', 'order.placed',
              jsonb_build_object('orderId', g, 'customer', 'c' || (g % 1000)), now() - make_interval(secs => g)
       FROM generate_series($1::int, $2::int) AS g`,
      [from, to],
    )
    await pool.query(
      `INSERT INTO ${t('workflow_runs')} (id, definition_id, tenant_id, trigger_id, status, definition_snapshot, error_message, created_at, updated_at)
       SELECT 'run_bench_' || lpad(g::text, 8, '0'), 'wfd_bench_' || (g % 10), 'tenant_' || (g % 10), 'trg_bench_' || lpad(g::text, 8, '0'),
              CASE g % 10 WHEN 0 THEN 'failed' WHEN 1 THEN 'waiting' WHEN 2 THEN 'running' ELSE 'completed' END,
              '{"id":"wfd","key":"orders","version":1,"name":"Orders","triggerType":"order.placed","steps":[],"config":{}}'::jsonb,
              CASE WHEN g % 10 = 0 THEN 'step "charge" failed: card declined' END,
              now() - make_interval(secs => g), now() - make_interval(secs => g)
       FROM generate_series($1::int, $2::int) AS g`,
      [from, to],
    )
  }
  // As autovacuum would have done by the time a table holds this many runs: index-only scans
  // need the visibility map.
  for (const name of ['triggers', 'workflow_runs', 'workflow_definitions']) await pool.query(`VACUUM ANALYZE ${t(name)}`)
}

async function timeFirstByte(url: string): Promise<{ ms: number; status: number }> {
  const started = performance.now()
  const response = await fetch(url)
  const reader = response.body!.getReader()
  await reader.read()
  const ms = performance.now() - started
  while (!(await reader.read()).done) {
    // drain
  }
  return { ms, status: response.status }
}

const PAGES: [string, string][] = [
  ['runs, all tenants', '/runs'],
  ['runs, one tenant', '/runs?tenant=tenant_3'],
  ['runs, failed, one tenant', '/failed?tenant=tenant_3'],
  ['runs, payload.orderId = 4242', `/runs?payload=${encodeURIComponent('payload.orderId = 4242')}`],
  ['runs, workflow + last hour', `/runs?workflow=orders&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`],
]

const results: Record<string, unknown> = {
  runs: RUNS,
  clientScriptGzipBytes: gzipSync(CLIENT_SCRIPT).length,
  stylesheetGzipBytes: gzipSync(STYLES).length,
}
for (const mode of values.modes!.split(',') as Mode[]) {
  const b = await benchEngine(mode)
  try {
    const seeded = performance.now()
    await seed(b.pool, b.tablePrefix, RUNS)
    const seedSeconds = round((performance.now() - seeded) / 1000, 1)
    const handler = dashboard(b.engine, { authorize: () => 'all' })
    const server = createServer((req, res) => void handler.node(req, res))
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const pages: Record<string, { p50Ms: number; p95Ms: number }> = {}
    for (const [name, path] of PAGES) {
      const times: number[] = []
      for (let i = 0; i < REQUESTS + 2; i++) {
        const { ms, status } = await timeFirstByte(`${origin}${path}`)
        if (status !== 200) throw new Error(`${path} answered ${status}`)
        if (i >= 2) times.push(ms)
      }
      times.sort((x, y) => x - y)
      pages[name] = { p50Ms: round(percentile(times, 50), 1), p95Ms: round(percentile(times, 95), 1) }
    }
    server.closeAllConnections()
    server.close()
    results[mode] = { seedSeconds, pages }
    console.error(JSON.stringify({ mode, seedSeconds, pages }))
  } finally {
    const extra = ['signal_waits', 'signal_listeners', 'signal_deliveries', 'idempotency_keys']
    if (mode !== 'embedded') await b.pool.query(extra.map((n) => `DROP TABLE IF EXISTS "${b.tablePrefix}${n}" CASCADE`).join(';')).catch(() => undefined)
    await b.close()
  }
}
console.log(JSON.stringify(results, null, 2))
