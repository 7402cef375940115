import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_URL, REDIS_URL, servicesMissing } from '../support/services.js'

const exec = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
const tsc = join(root, 'node_modules/typescript/bin/tsc')

/**
 * What users get is the tarball, not this source tree: pack it, install it into a fresh project
 * and use it from there, as ESM and as CommonJS, with its types, in each deployment mode.
 */
describe('the packed package in a fresh project', () => {
  let project: string

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'pulse-pack-'))
    const { stdout } = await exec('npm', ['pack', '--pack-destination', project, '--json'], { cwd: root })
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }]
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }))
    await exec('npm', ['install', join(project, filename), 'zod@4', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: project,
      timeout: 240_000,
    })
  }, 300_000)
  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true })
  })

  it('ships only the build output, the README and the docs it links to', async () => {
    const installed = join(project, 'node_modules/pulse-engine')
    const files = await readdir(installed)
    expect(files.sort()).toEqual(['README.md', 'dist', 'docs', 'package.json'])
    // Every relative link of the README into docs/ resolves inside the installed package.
    const readme = await readFile(join(installed, 'README.md'), 'utf8')
    const links = [...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]!)
    expect(links.length).toBeGreaterThan(0)
    for (const link of links) expect(existsSync(join(installed, link)), link).toBe(true)
  })

  it('runs a workflow through the ESM entry in embedded mode, without @opentelemetry/api installed', async () => {
    // An optional peer dependency: npm does not install it, and the engine must not need it.
    expect(existsSync(join(project, 'node_modules/@opentelemetry/api'))).toBe(false)
    await writeFile(
      join(project, 'embedded.mjs'),
      `import { createEngine, trigger, workflow } from 'pulse-engine'
const ping = trigger('ping', { source: 'test' })
const wf = workflow('pong').on(ping).do('answer', () => ({ success: true, data: { pong: true } }))
const engine = createEngine({ dataDir: false })
engine.register(wf)
await engine.migrate()
await engine.start()
await engine.sync({ tenantId: 't1', workflows: [wf] })
const envelope = await engine.emit(ping, { tenantId: 't1', payload: {} })
const [run] = await engine.getRunsByTrigger(envelope.id)
let status = run.status
for (let i = 0; i < 200 && status !== 'completed'; i++) {
  await new Promise((r) => setTimeout(r, 50))
  status = (await engine.getRun(run.id)).status
}
console.log(JSON.stringify({ mode: (await engine.info()).mode, status }))
await engine.stop()
`,
    )
    const { stdout } = await exec(process.execPath, ['embedded.mjs'], { cwd: project, timeout: 60_000 })
    expect(JSON.parse(stdout.trim())).toEqual({ mode: 'embedded', status: 'completed' })
  }, 90_000)

  it('tests a workflow with pulse-engine/testing from ESM and CommonJS: a 3-day delay passes on the virtual clock', async () => {
    const body = (imports: string) => `${imports}
const signup = trigger('user.signed_up', { source: 'app' })
const wf = workflow('nudge').on(signup).delay('3d').do('nudge', (ctx) => ({ success: true, data: { at: ctx.now().toISOString() } }))
async function main() {
  const t = await createTestEngine({ workflows: [wf], now: '2026-01-01T00:00:00.000Z' })
  const { runs } = await t.emit(signup, { payload: {} })
  await t.advance('3d')
  const report = await t.run(runs[0].runId)
  assertRunStatus(report, 'completed')
  console.log(JSON.stringify(report.output('nudge')))
  await t.stop()
}
main()
`
    await writeFile(join(project, 'kit.mjs'), body(`import { trigger, workflow } from 'pulse-engine'\nimport { assertRunStatus, createTestEngine } from 'pulse-engine/testing'`))
    await writeFile(join(project, 'kit.cjs'), body(`const { trigger, workflow } = require('pulse-engine')\nconst { assertRunStatus, createTestEngine } = require('pulse-engine/testing')`))
    for (const file of ['kit.mjs', 'kit.cjs']) {
      const { stdout } = await exec(process.execPath, [file], { cwd: project, timeout: 60_000 })
      expect(JSON.parse(stdout.trim()), file).toEqual({ at: '2026-01-04T00:00:00.000Z' })
    }
  }, 150_000)

  it.skipIf(servicesMissing())('runs a workflow through the CommonJS entry in postgres and redis modes', async () => {
    await writeFile(
      join(project, 'server.cjs'),
      `const { createEngine, trigger, workflow } = require('pulse-engine')
const { Pool } = require('pg')
const { Redis } = require('ioredis')
async function main(mode) {
  const pool = new Pool({ connectionString: ${JSON.stringify(DATABASE_URL)} })
  const redis = mode === 'redis' ? new Redis(${JSON.stringify(REDIS_URL)}) : undefined
  const id = Math.random().toString(36).slice(2, 8)
  const engine = createEngine({ db: pool, redis, tablePrefix: 'pack_' + id + '_', queuePrefix: 'pack' + id })
  const ping = trigger('ping', { source: 'test' })
  const wf = workflow('pong').on(ping).do('answer', () => undefined)
  engine.register(wf)
  await engine.migrate()
  await engine.start()
  await engine.sync({ tenantId: 't1', workflows: [wf] })
  const envelope = await engine.emit(ping, { tenantId: 't1', payload: {} })
  const [run] = await engine.getRunsByTrigger(envelope.id)
  let status = run.status
  for (let i = 0; i < 200 && status !== 'completed'; i++) {
    await new Promise((r) => setTimeout(r, 50))
    status = (await engine.getRun(run.id)).status
  }
  const info = await engine.info()
  await engine.stop()
  for (const t of ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations', 'workers', 'signal_waits', 'signal_listeners', 'signal_deliveries', 'idempotency_keys', 'skipped_starts']) {
    await pool.query('DROP TABLE IF EXISTS "pack_' + id + '_' + t + '" CASCADE')
  }
  await pool.end()
  if (redis) redis.disconnect()
  return { mode: info.mode, status }
}
Promise.all([main('postgres'), main('redis')]).then((r) => console.log(JSON.stringify(r)))
`,
    )
    const { stdout } = await exec(process.execPath, ['server.cjs'], { cwd: project, timeout: 60_000 })
    expect(JSON.parse(stdout.trim())).toEqual([
      { mode: 'postgres', status: 'completed' },
      { mode: 'redis', status: 'completed' },
    ])
  }, 90_000)

  it('installs the pulse bin: init, sync, then pulse dev in one terminal and emit and runs in another, embedded', async () => {
    const cli = join(project, 'cli-embedded')
    await exec('mkdir', ['-p', cli])
    await writeFile(join(cli, 'package.json'), JSON.stringify({ name: 'cli-app', private: true, type: 'module' }))
    // A developer's terminal: CI unset (under CI=true the CLI refuses an implicit embedded database).
    const env = { ...process.env, CI: '', NODE_PATH: join(project, 'node_modules') }
    const bin = join(project, 'node_modules/.bin/pulse')
    const pulse = (...args: string[]) => exec(bin, args, { cwd: cli, timeout: 90_000, env })
    // The config imports 'pulse-engine', which resolves from the project's node_modules above.
    await exec('ln', ['-s', join(project, 'node_modules'), join(cli, 'node_modules')])
    expect((await pulse('--help')).stdout).toMatch(/pulse/)
    await pulse('init')
    expect(await readFile(join(cli, '.gitignore'), 'utf8')).toContain('.pulse/')
    expect((await pulse('sync', '--dry-run')).stdout).toMatch(/created/)
    await pulse('sync')

    const dev = spawn(bin, ['dev', '--fast-delays'], { cwd: cli, env })
    let output = ''
    const listeners = new Set<() => void>()
    const append = (chunk: Buffer) => {
      output += chunk.toString()
      for (const listener of listeners) listener()
    }
    dev.stdout.on('data', append)
    dev.stderr.on('data', append)
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolvePromise, reject) => {
        const check = () => {
          if (!pattern.test(output)) return
          listeners.delete(check)
          resolvePromise()
        }
        listeners.add(check)
        dev.once('exit', (code) => reject(new Error(`pulse dev exited (${code}) before printing ${pattern}:\n${output}`)))
        check()
      })
    try {
      await seen(/ready embedded engine/)
      // The second terminal: its commands go through pulse dev, which owns the data folder.
      const emitted = JSON.parse((await pulse('emit', 'user.signed_up', '--tenant', 'workspace_1', '--payload', '{"email":"ada@example.com"}', '--json')).stdout) as {
        runs: { id: string }[]
      }
      expect(emitted.runs).toHaveLength(1)
      const runId = emitted.runs[0]!.id
      await seen(new RegExp(`${runId} welcome-new-user run completed`))
      const listed = await pulse('runs')
      expect(listed.stdout).toMatch(/using the embedded database in .*\(served by pulse dev, pid \d+\)/)
      const runs = JSON.parse((await pulse('runs', '--json')).stdout) as { id: string; status: string }[]
      expect(runs).toEqual([expect.objectContaining({ id: runId, status: 'completed' })])
    } finally {
      dev.kill('SIGINT')
      await new Promise((r) => (dev.exitCode === null ? dev.once('exit', r) : r(undefined)))
    }
    expect(existsSync(join(cli, '.pulse/pulse-owner.json'))).toBe(false)
  }, 180_000)

  it('exposes types to ESM and CommonJS consumers, payload inference included, without skipLibCheck or @types/pg of their own', async () => {
    // The consumer installed only pulse-engine and zod: pg's types must come with pulse-engine.
    expect(JSON.parse(await readFile(join(project, 'package.json'), 'utf8')).dependencies).not.toHaveProperty('@types/pg')
    const body = (importLine: string) => `${importLine}
const missed = trigger('heartbeat.missed', { source: 'heartbeat', payload: z.object({ lastSeenAt: z.string(), attempts: z.number().default(0) }) })
const wf = workflow('incident')
  .on(missed)
  .do('open', async (ctx) => {
    const since: string = ctx.trigger.payload.lastSeenAt
    const attempts: number = ctx.trigger.payload.attempts
    await ctx.emit(missed, { payload: { lastSeenAt: since } })
    // @ts-expect-error ctx.emit checks the payload against the trigger's schema
    await ctx.emit(missed, { payload: { lastSeen: since } })
    return { success: true, data: { id: since, attempts } }
  })
  .do('page', (ctx) => {
    const id: string = ctx.steps.open.id
    void id
  })
const spec: WorkflowSpec = wf.compile()
const engine: Engine = createEngine({ dataDir: false })
void engine.emit(missed, { tenantId: 't', payload: { lastSeenAt: 'x' } })
// @ts-expect-error the payload schema has no such field
void engine.emit(missed, { tenantId: 't', payload: { lastSeen: 'x' } })
// @ts-expect-error db must be a pg Pool: pg's types are there, not an any
createEngine({ db: 42 })
void spec
`
    await writeFile(join(project, 'types-esm.mts'), body(`import { z } from 'zod'\nimport { createEngine, trigger, workflow, type Engine, type WorkflowSpec } from 'pulse-engine'`))
    await writeFile(
      join(project, 'types-cjs.cts'),
      body(`import { z } from 'zod'\nimport { createEngine, trigger, workflow } from 'pulse-engine'\nimport type { Engine, WorkflowSpec } from 'pulse-engine'`),
    )
    await writeFile(
      join(project, 'types-testing.mts'),
      `import { trigger, workflow } from 'pulse-engine'
import { createTestEngine, type RunReport, type TestEngine } from 'pulse-engine/testing'
const signup = trigger('user.signed_up', { source: 'app', payload: z.object({ email: z.string() }) })
const wf = workflow('nudge').on(signup).do('nudge', (ctx) => ({ success: true, data: { at: ctx.now().toISOString() } }))
export async function check(): Promise<RunReport> {
  const t: TestEngine = await createTestEngine({ workflows: [wf] })
  t.mock('nudge', () => ({ success: true }))
  const { runs } = await t.emit(signup, { payload: { email: 'ada@example.com' } })
  // @ts-expect-error the payload is typed by the trigger
  await t.emit(signup, { payload: { mail: 'ada@example.com' } })
  await t.advance('1h30m')
  return t.run(runs[0]!.runId)
}
import { z } from 'zod'
`,
    )
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, types: [] },
        files: ['types-esm.mts', 'types-cjs.cts', 'types-testing.mts'],
      }),
    )
    const result = await exec(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((err: { stdout: string }) => err)
    expect(result.stdout).toBe('')
  }, 60_000)
  it('mounts the dashboard from its own entry, ESM and CommonJS, typed against the main entry\'s engine', async () => {
    await writeFile(
      join(project, 'dashboard.mjs'),
      `import { createEngine } from 'pulse-engine'
import { dashboard } from 'pulse-engine/dashboard'
import { createRequire } from 'node:module'
const engine = createEngine({ dataDir: false })
await engine.migrate()
const pulse = dashboard(engine, { basePath: '/ops', authorize: () => 'all' })
const page = await pulse.fetch(new Request('http://app.test/ops/runs'))
const cjs = createRequire(import.meta.url)('pulse-engine/dashboard')
console.log(JSON.stringify({ status: page.status, csp: page.headers.get('content-security-policy') !== null, cjs: typeof cjs.dashboard }))
await engine.stop()
`,
    )
    const { stdout } = await exec(process.execPath, ['dashboard.mjs'], { cwd: project, timeout: 60_000 })
    expect(JSON.parse(stdout.trim())).toEqual({ status: 200, csp: true, cjs: 'function' })
    await writeFile(
      join(project, 'dashboard-types.mts'),
      `import { createServer } from 'node:http'
import { createEngine } from 'pulse-engine'
import { dashboard, type TenantAccess } from 'pulse-engine/dashboard'
const engine = createEngine({ dataDir: false })
const access = (request: Request): TenantAccess => (request.headers.get('x-staff') ? 'all' : ['t1'])
const pulse = dashboard(engine, { basePath: '/ops', authorize: access })
createServer(pulse.node)
const response: Promise<Response> = pulse.fetch(new Request('http://x/ops/runs'))
// @ts-expect-error authorize answers tenant ids, 'all' or null
dashboard(engine, { authorize: () => 42 })
void response
`,
    )
    await writeFile(
      join(project, 'tsconfig.dashboard.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM'], noEmit: true, skipLibCheck: false },
        files: ['dashboard-types.mts'],
      }),
    )
    const result = await exec(process.execPath, [tsc, '-p', 'tsconfig.dashboard.json'], { cwd: project }).catch((err: { stdout: string }) => err)
    expect(result.stdout).toBe('')
  }, 90_000)
})
