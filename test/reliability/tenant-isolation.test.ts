import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, PulseConfigError, PulseNotFoundError, PulseValidationError, type TenantEngine, type WorkflowRun } from '../../src/index.js'
import { tablesFor } from '../../src/store/tables.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { DATABASE_URL, servicesMissing } from '../support/services.js'

interface TenantData {
  scoped: TenantEngine
  okRun: WorkflowRun
  failedRun: WorkflowRun
  waitingRun: WorkflowRun
  triggerIds: string[]
  definitionIds: string[]
}

describe.skipIf(servicesMissing())('tenant isolation: engine.forTenant()', () => {
  let t: TestEngine
  const data: Record<'a' | 'b', TenantData> = {} as never

  beforeAll(async () => {
    t = await startTestEngine({})
    const { engine } = t
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('ok_step', (ctx) => {
      ctx.log('done', { tenant: ctx.tenantId })
      return { success: true, data: { tenant: ctx.tenantId } }
    })
    engine.registerAction('boom', () => ({ success: false, error: 'boom' }))
    for (const tenant of ['a', 'b'] as const) {
      const scoped = engine.forTenant(`tenant_${tenant}`)
      const ok = await scoped.createWorkflow({ name: 'ok', key: 'ok', triggerType: 'x.happened', resourceTypeFilter: 'ok', steps: [{ type: 'action', name: 'ok_step' }], config: {}, isEnabled: true })
      const fail = await scoped.createWorkflow({ name: 'fail', key: 'fail', triggerType: 'x.happened', resourceTypeFilter: 'fail', steps: [{ type: 'action', name: 'boom' }], config: {}, isEnabled: true })
      const plan = await scoped.sync({
        workflows: [{ key: 'wait', name: 'wait', triggerType: 'x.happened', resourceTypeFilter: 'wait', steps: [{ type: 'delay', name: 'long_wait', delayMs: 3_600_000 }, { type: 'action', name: 'ok_step' }], config: {}, isEnabled: true }],
      })
      data[tenant] = { scoped, definitionIds: [ok.id, fail.id, plan.created[0]!.definitionId], triggerIds: [] } as unknown as TenantData
    }
    // The two tenants' signals interleave, so ids and rows sit side by side in every table.
    const runs: Record<string, WorkflowRun> = {}
    for (const kind of ['ok', 'fail', 'wait']) {
      for (const tenant of ['a', 'b'] as const) {
        const trg = await data[tenant].scoped.emit({ type: 'x.happened', resourceType: kind, resourceId: `${tenant}-${kind}` })
        data[tenant].triggerIds.push(trg.id)
        const [run] = await data[tenant].scoped.getRunsByTrigger(trg.id)
        runs[`${tenant}:${kind}`] = run!
      }
    }
    for (const tenant of ['a', 'b'] as const) {
      data[tenant].okRun = await waitForRun(engine, runs[`${tenant}:ok`]!.id)
      data[tenant].failedRun = await waitForRun(engine, runs[`${tenant}:fail`]!.id)
      data[tenant].waitingRun = await waitForRun(engine, runs[`${tenant}:wait`]!.id, ['waiting'])
    }
  })
  afterAll(async () => {
    await t?.close()
  })

  it('sees its own runs, steps, signals, logs and timeline', async () => {
    const { scoped, okRun, triggerIds } = data.a
    expect(okRun.status).toBe('completed')
    expect(data.a.failedRun.status).toBe('failed')
    expect((await scoped.getRun(okRun.id))?.tenantId).toBe('tenant_a')
    expect(await scoped.getRunSteps(okRun.id)).toHaveLength(1)
    expect(await scoped.getRunsByTrigger(triggerIds[0]!)).toHaveLength(1)
    expect((await scoped.getTrigger(triggerIds[0]!))?.tenantId).toBe('tenant_a')
    expect((await scoped.getRunLogs(okRun.id)).map((l) => l.message)).toContain('done')
    expect((await scoped.getRunTimeline(okRun.id)).length).toBeGreaterThan(2)
    const listed = await scoped.listRuns()
    expect(listed).toHaveLength(3)
    expect(listed.every((r) => r.tenantId === 'tenant_a')).toBe(true)
    expect((await scoped.getFailedRuns()).map((r) => r.id)).toEqual([data.a.failedRun.id])
    expect(await scoped.verify()).toMatchObject({ ok: true })
  })

  it("reads another tenant's ids as ids that do not exist", async () => {
    const a = data.a.scoped
    const b = data.b
    for (const run of [b.okRun, b.failedRun, b.waitingRun]) {
      expect(await a.getRun(run.id)).toBeNull()
      expect(await a.getRunSteps(run.id)).toEqual([])
      expect(await a.getRunLogs(run.id)).toEqual([])
      await expect(a.getRunTimeline(run.id)).rejects.toBeInstanceOf(PulseNotFoundError)
    }
    for (const id of b.triggerIds) {
      expect(await a.getTrigger(id)).toBeNull()
      expect(await a.getRunsByTrigger(id)).toEqual([])
    }
    expect(await a.listRuns({ tenantId: 'tenant_b' } as never)).toEqual([])
    expect(await a.listRuns({ workflowKey: 'fail' })).toEqual([expect.objectContaining({ id: data.a.failedRun.id })])
    expect((await a.getFailedRuns()).some((r) => r.tenantId !== 'tenant_a')).toBe(false)
  })

  it("refuses every operation on another tenant's ids, and changes nothing", async () => {
    const a = data.a.scoped
    const b = data.b
    await expect(a.cancelRun(b.waitingRun.id, 'not yours')).rejects.toBeInstanceOf(PulseNotFoundError)
    await expect(a.cancelRun(b.okRun.id)).rejects.toBeInstanceOf(PulseNotFoundError)
    await expect(a.retryRun(b.failedRun.id)).rejects.toBeInstanceOf(PulseNotFoundError)
    await expect(a.retryRun(b.okRun.id)).rejects.toBeInstanceOf(PulseNotFoundError)
    for (const id of b.triggerIds) {
      await expect(a.replay(id)).rejects.toBeInstanceOf(PulseNotFoundError)
      await expect(a.replay(id, { dryRun: true })).rejects.toBeInstanceOf(PulseNotFoundError)
    }
    for (const id of b.definitionIds) {
      await expect(a.disableWorkflow(id)).rejects.toBeInstanceOf(PulseNotFoundError)
      await expect(a.enableWorkflow(id)).rejects.toBeInstanceOf(PulseNotFoundError)
    }
    await expect(a.emit({ tenantId: 'tenant_b', type: 'x.happened', resourceType: 'ok' })).rejects.toBeInstanceOf(PulseValidationError)
    await expect(
      a.createWorkflow({ tenantId: 'tenant_b', name: 'x', triggerType: 'x.happened', steps: [{ type: 'action', name: 'ok_step' }], config: {}, isEnabled: true }),
    ).rejects.toBeInstanceOf(PulseValidationError)
    await expect(a.sync({ tenantId: 'tenant_b', workflows: [] })).rejects.toBeInstanceOf(PulseValidationError)

    // Tenant b's state is exactly as it was.
    const engine = t.engine
    expect((await engine.getRun(b.waitingRun.id))?.status).toBe('waiting')
    expect((await engine.getRun(b.failedRun.id))?.status).toBe('failed')
    expect(await engine.getRunsByTrigger(b.triggerIds[0]!)).toHaveLength(1)
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM "${t.tablePrefix}workflow_definitions" WHERE tenant_id = 'tenant_b' AND is_enabled`)
    expect(rows[0].n).toBe(3)
    expect((await engine.listRuns({ tenantId: 'tenant_b' })).length).toBe(3)
  })

  it('operates on its own ids', async () => {
    const a = data.a.scoped
    const canceled = await a.cancelRun(data.a.waitingRun.id, 'done waiting')
    expect(canceled.status).toBe('canceled')
    const retried = await a.retryRun(data.a.failedRun.id)
    expect(retried.status).toBe('running')
    await eventually(async () => ((await a.getRun(data.a.failedRun.id))?.status === 'failed' ? true : undefined))
    const replays = await a.replay(data.a.triggerIds[0]!)
    expect(replays).toHaveLength(1)
    expect(replays[0]!.tenantId).toBe('tenant_a')
    await a.disableWorkflow(data.a.definitionIds[0]!)
    await a.enableWorkflow(data.a.definitionIds[0]!)
  })

  it('refuses tenant ids that could not be stored', () => {
    for (const bad of ['', 'a\u0000b', 'x\ud800', 'x'.repeat(300), 42 as unknown as string, undefined as unknown as string]) {
      expect(() => t.engine.forTenant(bad)).toThrow(PulseValidationError)
    }
  })
})

describe('identifiers never reach SQL unchecked', () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
  pool.on('error', () => undefined)
  afterAll(async () => {
    await pool.end()
  })
  const PREFIX = /^[a-z_][a-z0-9_]{0,40}$/
  const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/
  const nasty = fc.constantFrom('pulse_"; DROP TABLE x; --', 'a"b', "a'b", 'A_', 'ä_', 'pulse_\u0000', 'pulse-', ' pulse_', 'pulse_ ', '', '1abc', 'x'.repeat(41), 'x'.repeat(42), 'p\nq')
  const identifierLike = fc.oneof(
    fc.string({ maxLength: 50 }),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.stringMatching(/^[a-z_][a-z0-9_]{0,45}$/),
    fc.stringMatching(/^[A-Za-z0-9_"';\- ]{0,45}$/),
    nasty,
  )

  it('tablesFor and createEngine accept exactly the documented pattern (10,000 strings)', () => {
    fc.assert(
      fc.property(identifierLike, (prefix) => {
        const valid = PREFIX.test(prefix)
        if (valid) {
          const tables = tablesFor(prefix)
          expect(tables.runs).toBe(`"public"."${prefix}workflow_runs"`)
          expect(() => createEngine({ db: pool, tablePrefix: prefix })).not.toThrow()
        } else {
          expect(() => tablesFor(prefix)).toThrow(PulseConfigError)
          expect(() => createEngine({ db: pool, tablePrefix: prefix })).toThrow(PulseConfigError)
        }
      }),
      { numRuns: 10_000 },
    )
  })

  it('schema and queue names are checked the same way', () => {
    fc.assert(
      fc.property(identifierLike, (name) => {
        if (SCHEMA.test(name)) expect(() => createEngine({ db: pool, schema: name, queueSchema: name })).not.toThrow()
        else {
          expect(() => createEngine({ db: pool, schema: name })).toThrow(PulseConfigError)
          expect(() => createEngine({ db: pool, queueSchema: name })).toThrow(PulseConfigError)
        }
        if (/^[A-Za-z0-9_-]{1,64}$/.test(name)) expect(() => createEngine({ db: pool, queuePrefix: name })).not.toThrow()
        else expect(() => createEngine({ db: pool, queuePrefix: name })).toThrow(PulseConfigError)
      }),
      { numRuns: 3_000 },
    )
  })
})
