import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import type { EmitJson, ErrorJson, RunDetailJson, RunJson, SignalJson, StepJson, TimelineEntryJson, WorkflowJson } from '../../src/cli/json-shapes.js'
import { DATABASE_URL } from '../support/services.js'
import { dropPostgresProject, makeProject, ok, runCli, startCli, type CliResult } from './support/cli.js'

const missing = process.env.PULSE_CLI_POSTGRES_MISSING

/** Workflows that finish at once, fail, take a while (to stop a worker under), and tick on a schedule. */
const WORKFLOWS = `import { writeFileSync } from 'node:fs'
import { z } from 'zod'
import { action, trigger, workflow } from 'pulse-engine'

export const orderPlaced = trigger('order.placed', { source: 'shop', payload: z.object({ total: z.number() }) })
export const quick = workflow('quick').on(orderPlaced).do(action('charge', (ctx) => {
  ctx.log('charging', { total: ctx.trigger.payload.total })
  return { success: true, data: { charged: ctx.trigger.payload.total } }
}))

export const paymentFailed = trigger('payment.failed', { source: 'billing' })
export const failing = workflow('failing').on(paymentFailed).do(action('charge_again', () => ({ success: false, error: 'card declined' })))

export const exportRequested = trigger('export.requested', { source: 'app' })
export const slow = workflow('slow-export').on(exportRequested).do(action('export', async () => {
  // The test waits for this file, then stops the worker while the step is still running.
  writeFileSync(process.env.PULSE_TEST_MARK, 'started')
  await new Promise((resolve) => setTimeout(resolve, 1500))
  return { success: true, data: { exported: true } }
}))

export const tick = trigger('report.tick', { source: 'cron' })
export const nightly = workflow('nightly-report').on(tick).do(action('send_report', () => undefined)).cron('30 2 * * *', { timezone: 'Europe/Paris' })
`

function config(tablePrefix: string, queuePrefix: string, database = DATABASE_URL): string {
  return `import { defineConfig } from 'pulse-engine'
import { failing, nightly, quick, slow } from './workflows/all.js'

export default defineConfig({
  workflows: [quick, failing, slow, nightly],
  tenants: ['tenant_a', 'tenant_b'],
  database: ${JSON.stringify(database)},
  tablePrefix: '${tablePrefix}',
  queuePrefix: '${queuePrefix}',
})
`
}

/** The JSON error a failed `--json` command printed on stderr, checking stdout stayed empty. */
function jsonError(result: CliResult): ErrorJson['error'] {
  expect(result.stdout).toBe('')
  const lines = result.stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  return (JSON.parse(lines[0]!) as ErrorJson).error
}

async function waitForFile(path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe.skipIf(missing !== undefined)('postgres: signals, workflows, enable/disable, doctor, worker, --watch, --follow and JSON', () => {
  const id = randomBytes(4).toString('hex')
  const tablePrefix = `cmd${id}_`
  const queuePrefix = `qcmd${id}`
  const dir = makeProject({ 'pulse.config.ts': config(tablePrefix, queuePrefix), 'workflows/all.ts': WORKFLOWS }, { type: 'module' })
  const mark = join(dir, 'export-started')
  const cwd = { cwd: dir, env: { PULSE_TEST_MARK: mark } }

  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
    await dropPostgresProject(pool, tablePrefix, queuePrefix)
    await pool.end()
  })

  it('doctor fails on missing tables and says to migrate; passes once migrated', async () => {
    const before = await runCli(['doctor'], cwd)
    expect(before.code).toBe(1)
    expect(before.stdout).toMatch(/^ok\s+connection\s+postgres mode: postgres:\/\/postgres@127\.0\.0\.1/m)
    expect(before.stdout).toMatch(new RegExp(`^fail\\s+migrations\\s+the engine's tables \\(prefix "${tablePrefix}"\\) do not exist\\n\\s+-> run "pulse migrate"`, 'm'))
    expect(before.stdout).toMatch(/^skip\s+consistency/m)

    expect(JSON.parse(await ok(['migrate', '--json'], cwd))).toMatchObject({ mode: 'postgres', tablePrefix, schemaVersion: expect.any(Number) })
    await ok(['sync'], cwd)

    const after = JSON.parse(await ok(['doctor', '--json'], cwd)) as { ok: boolean; checks: { name: string; status: string }[] }
    expect(after.ok).toBe(true)
    expect(after.checks.map((c) => [c.name, c.status])).toEqual([
      ['config', 'ok'],
      ['connection', 'ok'],
      ['migrations', 'ok'],
      ['redis-eviction', 'skip'],
      ['consistency', 'ok'],
    ])
  })

  it('doctor reports an unreachable database as a failed connection', async () => {
    const other = makeProject({ 'pulse.config.ts': config(tablePrefix, queuePrefix, 'postgres://postgres:secret@127.0.0.1:1/none'), 'workflows/all.ts': WORKFLOWS }, { type: 'module' })
    const result = await runCli(['doctor', '--json'], { cwd: other })
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { name: string; status: string; detail: string }[] }
    expect(report.ok).toBe(false)
    expect(report.checks[1]).toMatchObject({ name: 'connection', status: 'fail' })
    expect(report.checks[1]!.detail).toContain('postgres://postgres:***@127.0.0.1:1/none')
    expect(report.checks[1]!.detail).not.toContain('secret')
  })

  it('lists stored workflows with their version, state, trigger and next cron ticks', async () => {
    const text = await ok(['workflows', '--tenant', 'tenant_a'], cwd)
    expect(text).toMatch(/^KEY\s+VERSION\s+TENANT\s+STATE\s+TRIGGER\s+CRON\s+NEXT TICK \(UTC\)$/m)
    expect(text).toMatch(/^quick\s+v1\s+tenant_a\s+enabled\s+order\.placed$/m)
    expect(text).toMatch(/^nightly-report\s+v1\s+tenant_a\s+enabled\s+report\.tick\s+30 2 \* \* \* \(Europe\/Paris\)\s+\d{4}-\d\d-\d\d \d\d:30:00$/m)

    const all = JSON.parse(await ok(['workflows', '--json'], cwd)) as WorkflowJson[]
    expect(all.map((w) => [w.tenantId, w.key])).toEqual([
      ['tenant_a', 'failing'],
      ['tenant_a', 'nightly-report'],
      ['tenant_a', 'quick'],
      ['tenant_a', 'slow-export'],
      ['tenant_b', 'failing'],
      ['tenant_b', 'nightly-report'],
      ['tenant_b', 'quick'],
      ['tenant_b', 'slow-export'],
    ])
    const nightly = all.find((w) => w.key === 'nightly-report')!
    expect(nightly).toMatchObject({ version: 1, enabled: true, trigger: { type: 'report.tick', environment: null, resourceType: null }, steps: 1 })
    expect(nightly.cron).toMatchObject({ expression: '30 2 * * *', timezone: 'Europe/Paris' })
    const ticks = nightly.cron!.next.map((t) => new Date(t).getTime())
    expect(ticks).toHaveLength(3)
    expect(ticks[0]).toBeGreaterThan(Date.now())
    expect(ticks[1]! - ticks[0]!).toBeGreaterThanOrEqual(23 * 3_600_000)
    expect(all.find((w) => w.key === 'quick')!.cron).toBeNull()

    const unknown = await runCli(['workflows', '--tenant', 'tenant_x', '--json'], cwd)
    expect(unknown.code).toBe(1)
    expect(jsonError(unknown)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('tenant "tenant_x" does not exist') })
  })

  it('disables and enables a workflow by key: a disabled one starts no run', async () => {
    const disabled = JSON.parse(await ok(['disable', 'quick', '--tenant', 'tenant_b', '--json'], cwd)) as WorkflowJson
    expect([disabled.key, disabled.tenantId, disabled.enabled]).toEqual(['quick', 'tenant_b', false])
    expect(await ok(['disable', 'quick', '-t', 'tenant_b'], cwd)).toContain('disabled quick v1 for tenant tenant_b (it already was)')

    const ignored = JSON.parse(await ok(['emit', 'order.placed', '-t', 'tenant_b', '-p', '{"total":5}', '--json'], cwd)) as SignalJson
    expect(ignored.runs).toEqual([])

    expect(await ok(['enable', 'quick', '-t', 'tenant_b'], cwd)).toContain('enabled quick v1 for tenant tenant_b')
    const started = JSON.parse(await ok(['emit', 'order.placed', '-t', 'tenant_b', '-p', '{"total":6}', '--json'], cwd)) as SignalJson
    expect(started.runs.map((r) => r.workflowKey)).toEqual(['quick'])

    const unknown = await runCli(['enable', 'quik', '--tenant', 'tenant_b'], cwd)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('tenant "tenant_b" has no stored workflow "quik" (stored: failing, nightly-report, quick, slow-export)')
    const noTenant = await runCli(['disable', 'quick', '--json'], cwd)
    expect(noTenant.code).toBe(2)
    expect(jsonError(noTenant)).toEqual({ code: 'USAGE', message: 'missing --tenant' })
  })

  it('lists signals newest first with the runs each started, filtered by tenant and type', async () => {
    const signals = JSON.parse(await ok(['signals', '--tenant', 'tenant_b', '--json'], cwd)) as SignalJson[]
    expect(signals.map((s) => [s.type, (s.payload as { total: number }).total, s.runs.length])).toEqual([
      ['order.placed', 6, 1],
      ['order.placed', 5, 0],
    ])
    expect(signals[0]!.runs[0]).toMatchObject({ workflowKey: 'quick', workflowVersion: 1, tenantId: 'tenant_b', triggerId: signals[0]!.id, status: 'pending' })

    await ok(['emit', 'payment.failed', '-t', 'tenant_b'], cwd)
    const typed = JSON.parse(await ok(['signals', '-t', 'tenant_b', '--type', 'order.placed', '--limit', '1', '--json'], cwd)) as SignalJson[]
    expect(typed.map((s) => s.id)).toEqual([signals[0]!.id])

    const text = await ok(['signals', '--tenant', 'tenant_b'], cwd)
    expect(text).toMatch(/^SIGNAL\s+TYPE\s+TENANT\s+RESOURCE\s+CREATED \(UTC\)\s+RUNS$/m)
    expect(text).toMatch(new RegExp(`^${signals[1]!.id}\\s+order\\.placed\\s+tenant_b\\s+[\\d-]+ [\\d:]+\\s+no run started$`, 'm'))
    expect(text).toMatch(/order\.placed .*run_\w+ quick pending$/m)

    const bad = await runCli(['signals', '--limit', '0', '--json'], cwd)
    expect(bad.code).toBe(2)
    expect(jsonError(bad)).toMatchObject({ code: 'USAGE', message: expect.stringContaining('--limit must be a whole number') })
  })

  it('prints compact runs rows; the definition snapshot only in pulse run', async () => {
    const runs = JSON.parse(await ok(['runs', '--tenant', 'tenant_b', '--json'], cwd)) as RunJson[]
    expect(runs.map((r) => [r.workflowKey, r.status])).toEqual([
      ['failing', 'pending'],
      ['quick', 'pending'],
    ])
    expect(Object.keys(runs[0]!).sort()).toEqual(
      [
        'id', 'workflowKey', 'workflowName', 'workflowVersion', 'definitionId', 'tenantId', 'triggerId', 'status', 'heldBy', 'currentStep', 'isReplay',
        'errorMessage', 'cancelReason', 'createdAt', 'startedAt', 'completedAt', 'failedAt', 'canceledAt', 'updatedAt',
      ].sort(),
    )
    expect(runs[1]!.currentStep).toEqual({ index: 0, name: 'charge', total: 1 })

    const detail = JSON.parse(await ok(['run', runs[1]!.id, '--json'], cwd)) as { run: RunDetailJson; steps: StepJson[]; timeline: TimelineEntryJson[] }
    expect(detail.run).toMatchObject({ ...runs[1], context: {}, definitionSnapshot: { key: 'quick', version: 1 } })
    expect(detail.steps.map((s) => [s.index, s.name, s.type, s.status])).toEqual([[0, 'charge', 'action', 'pending']])
    expect(detail.timeline[0]).toMatchObject({ type: 'run_created', stepName: null })
  })

  it('reports errors under --json on stderr with a stable code', async () => {
    const notFound = await runCli(['run', 'run_missing', '--json'], cwd)
    expect(notFound.code).toBe(1)
    expect(jsonError(notFound)).toEqual({ code: 'NOT_FOUND', message: 'run "run_missing" does not exist; list runs with "pulse runs"' })

    const [pending] = JSON.parse(await ok(['runs', '-t', 'tenant_b', '-w', 'quick', '--json'], cwd)) as RunJson[]
    const state = await runCli(['retry', pending!.id, '--json'], cwd)
    expect([state.code, jsonError(state).code]).toEqual([1, 'RUN_STATE'])

    const invalid = await runCli(['emit', 'order.placed', '-t', 'tenant_a', '-p', '{"total":"five"}', '--json'], cwd)
    expect([invalid.code, jsonError(invalid).code]).toEqual([1, 'VALIDATION'])

    const usage = await runCli(['runs', '--bogus', '--json'], cwd)
    expect([usage.code, jsonError(usage).code]).toEqual([2, 'USAGE'])

    const noConfig = await runCli(['runs', '--json'], { cwd: makeProject({}) })
    expect([noConfig.code, jsonError(noConfig).code]).toEqual([1, 'CONFIG'])

    const other = makeProject({ 'pulse.config.ts': config(`none${id}_`, queuePrefix), 'workflows/all.ts': WORKFLOWS }, { type: 'module' })
    const noTables = await runCli(['runs', '--json'], { cwd: other })
    expect(jsonError(noTables)).toMatchObject({ code: 'DATABASE', message: expect.stringContaining('run "pulse migrate"') })

    const canceled = JSON.parse(await ok(['cancel', pending!.id, '--reason', 'test', '--json'], cwd)) as RunJson
    expect([canceled.id, canceled.status, canceled.cancelReason]).toEqual([pending!.id, 'canceled', 'test'])
    expect(canceled).not.toHaveProperty('definitionSnapshot')
  })

  it('runs a worker that executes runs, is followed by run --follow, and stops gracefully on SIGTERM', async () => {
    const worker = startCli(['worker'], cwd)
    try {
      await worker.waitFor(/ready worker: postgres engine on postgres:\/\/postgres@127\.0\.0\.1:5432\/\w+; workflows: quick, failing, slow-export, nightly-report/)

      const quick = JSON.parse(await ok(['emit', 'order.placed', '-t', 'tenant_a', '-p', '{"total":42}', '--json'], cwd)) as SignalJson
      const followed = await runCli(['run', quick.runs[0]!.id, '--follow'], cwd)
      expect(followed.code).toBe(0)
      expect(followed.stdout).toContain(`following ${quick.runs[0]!.id} quick v1 (tenant tenant_a)`)
      expect(followed.stdout).toMatch(/step_started\s+charge/)
      expect(followed.stdout).toMatch(/log\s+charge\s+\{"level":"info","message":"charging"/)
      expect(followed.stdout).toMatch(/run_completed\nrun completed in \S+\n$/)

      const failed = JSON.parse(await ok(['emit', 'payment.failed', '-t', 'tenant_a', '--json'], cwd)) as SignalJson
      const followedFail = await runCli(['run', failed.runs[0]!.id, '--follow', '--json'], cwd)
      expect(followedFail.code).toBe(1)
      const lines = followedFail.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; run?: RunJson; entry?: TimelineEntryJson })
      expect(lines.at(-1)).toMatchObject({ kind: 'run', run: { id: failed.runs[0]!.id, status: 'failed', errorMessage: expect.stringContaining('card declined') } })
      expect(lines.filter((l) => l.kind === 'timeline').map((l) => l.entry!.type)).toEqual(expect.arrayContaining(['run_created', 'step_failed', 'run_failed']))

      // SIGTERM while a step runs: the step finishes before the worker exits.
      const slow = JSON.parse(await ok(['emit', 'export.requested', '-t', 'tenant_a', '--json'], cwd)) as SignalJson
      await waitForFile(mark)
      const from = worker.output().length
      expect(await worker.stop('SIGTERM')).toBe(0)
      expect(worker.output().slice(from)).toMatch(/SIGTERM: stopping, letting running steps finish\n.*stopped\n$/)
      const { run, steps } = JSON.parse(await ok(['run', slow.runs[0]!.id, '--json'], cwd)) as { run: RunDetailJson; steps: StepJson[] }
      expect([run.status, steps.map((s) => [s.name, s.status, s.attempt])]).toEqual(['completed', [['export', 'completed', 1]]])
    } finally {
      await worker.stop('SIGKILL')
    }
  })

  it('worker refuses to start on tables that are not migrated', async () => {
    const other = makeProject({ 'pulse.config.ts': config(`none${id}_`, queuePrefix), 'workflows/all.ts': WORKFLOWS }, { type: 'module' })
    const result = await runCli(['worker', '--json'], { cwd: other })
    expect(result.code).toBe(1)
    expect(jsonError(result)).toMatchObject({ code: 'DATABASE', message: expect.stringContaining('run "pulse migrate" before starting workers') })
  })

  it('runs --watch lists again as runs appear, until Ctrl-C', async () => {
    const watch = startCli(['runs', '--watch', '--tenant', 'tenant_b'], cwd)
    try {
      await watch.waitFor(/RUN\s+WORKFLOW\s+TENANT/)
      const from = watch.output().length
      const emitted = JSON.parse(await ok(['emit', 'order.placed', '-t', 'tenant_b', '-p', '{"total":7}', '--json'], cwd)) as SignalJson
      await watch.waitFor(new RegExp(`${emitted.runs[0]!.id}\\s+quick\\s+tenant_b\\s+pending`), { from })
    } finally {
      expect(await watch.stop('SIGINT')).toBe(0)
    }
  })

  it('emit --idempotency-key stores a signal once, prints the first one on a repeat and refuses the key for another payload', async () => {
    const key = `order-9-${id}`
    const args = ['emit', 'order.placed', '-t', 'tenant_a', '-p', '{"total":9}', '--idempotency-key', key]
    const first = JSON.parse(await ok([...args, '--json'], cwd)) as EmitJson
    expect(first).toMatchObject({ deduplicated: false, type: 'order.placed', payload: { total: 9 } })
    expect(first.runs.map((r) => r.workflowKey)).toEqual(['quick'])
    const again = JSON.parse(await ok([...args, '--json'], cwd)) as EmitJson
    expect({ ...again, runs: again.runs.map((r) => r.id) }).toEqual({ ...first, runs: first.runs.map((r) => r.id), deduplicated: true })
    expect(await ok(args, cwd)).toContain(`already emitted order.placed ${first.id} for tenant tenant_a with idempotency key "${key}"; nothing written`)

    const reused = await runCli(['emit', 'order.placed', '-t', 'tenant_a', '-p', '{"total":10}', '--idempotency-key', key, '--json'], cwd)
    expect(reused.code).toBe(1)
    expect(jsonError(reused)).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`idempotency key "${key}" of tenant "tenant_a" was used for signal ${first.id}`) })
    const empty = await runCli(['emit', 'order.placed', '-t', 'tenant_a', '-p', '{"total":9}', '--idempotency-key', '', '--json'], cwd)
    expect([empty.code, jsonError(empty).code]).toEqual([1, 'VALIDATION'])
    const signals = JSON.parse(await ok(['signals', '-t', 'tenant_a', '--type', 'order.placed', '--json'], cwd)) as SignalJson[]
    expect(signals.filter((s) => [9, 10].includes((s.payload as { total: number }).total)).map((s) => s.id)).toEqual([first.id])
  })

  it('run --follow of a run that does not exist fails at once', async () => {
    const result = await runCli(['run', 'run_missing', '--follow'], cwd)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('run "run_missing" does not exist')
  })
})
