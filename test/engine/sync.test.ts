import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { PulseConfigError, PulseValidationError, action, trigger, workflow, type Engine } from '../../src/index.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const trialExpiring = trigger('trial.expiring', { source: 'billing', payload: z.object({ email: z.string() }) })
const seen: string[] = []
const warn = action('send_warning', () => void seen.push('warn'))
const downgrade = action('downgrade', () => void seen.push('downgrade'))
const notify = action('notify_sales', () => void seen.push('sales'))

const v1 = workflow('trial-expiration').on(trialExpiring).do(warn).delay(600, { name: 'grace' }).do(downgrade)
const v2 = workflow('trial-expiration').on(trialExpiring).do(warn).delay(600, { name: 'grace' }).do(notify).do(downgrade)
const other = workflow('welcome').on(trialExpiring).do('welcome_email', () => undefined)

describe.skipIf(servicesMissing())('sync of code-defined workflows per tenant', () => {
  let t: TestEngine
  let engine: Engine
  beforeEach(async () => {
    seen.length = 0
    t = await startTestEngine()
    engine = t.engine
    engine.register(v1, v2, other)
  })
  afterEach(() => t.close())

  it('creates, then reports unchanged on a second sync of the same code', async () => {
    const first = await engine.sync({ tenantId: 'w1', workflows: [v1, other] })
    expect(first.created.map((e) => e.key).sort()).toEqual(['trial-expiration', 'welcome'])
    expect(first.updated).toEqual([])
    const second = await engine.sync({ tenantId: 'w1', workflows: [v1, other] })
    expect(second.created).toEqual([])
    expect(second.updated).toEqual([])
    expect(second.unchanged.map((e) => e.key).sort()).toEqual(['trial-expiration', 'welcome'])
    const { rows } = await t.pool.query(`SELECT key, version FROM "${t.tablePrefix}workflow_definitions" ORDER BY key`)
    expect(rows).toEqual([
      { key: 'trial-expiration', version: 1 },
      { key: 'welcome', version: 1 },
    ])
  })

  it('computes a dry-run plan without writing anything', async () => {
    const plan = await engine.sync({ tenantId: 'w1', workflows: [v1], dryRun: true })
    expect(plan).toMatchObject({ dryRun: true, created: [{ key: 'trial-expiration' }] })
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM "${t.tablePrefix}workflow_definitions"`)
    expect(rows[0].n).toBe(0)
  })

  it('stores a new version on change; a run waiting in a delay finishes on the steps it started with', async () => {
    await engine.sync({ tenantId: 'w1', workflows: [v1] })
    const oldTrg = await engine.emit(trialExpiring, { tenantId: 'w1', payload: { email: 'a@example.com' } })
    const [oldRun] = await engine.getRunsByTrigger(oldTrg.id)
    await eventually(async () => ((await engine.getRun(oldRun!.id))?.status === 'waiting' ? true : undefined))

    const plan = await engine.sync({ tenantId: 'w1', workflows: [v2] })
    expect(plan.updated).toEqual([expect.objectContaining({ key: 'trial-expiration', version: 2 })])

    const newTrg = await engine.emit(trialExpiring, { tenantId: 'w1', payload: { email: 'b@example.com' } })
    const [newRun] = await engine.getRunsByTrigger(newTrg.id)
    const oldDone = await waitForRun(engine, oldRun!.id)
    const newDone = await waitForRun(engine, newRun!.id)
    expect(oldDone.definitionSnapshot.version).toBe(1)
    expect((await engine.getRunSteps(oldDone.id)).map((s) => s.stepName)).toEqual(['send_warning', 'grace', 'downgrade'])
    expect(newDone.definitionSnapshot.version).toBe(2)
    expect((await engine.getRunSteps(newDone.id)).map((s) => s.stepName)).toEqual(['send_warning', 'grace', 'notify_sales', 'downgrade'])
  })

  it('disables definitions whose key left the code when prune is set', async () => {
    await engine.sync({ tenantId: 'w1', workflows: [v1, other] })
    const kept = await engine.sync({ tenantId: 'w1', workflows: [v1] })
    expect(kept.disabled).toEqual([])
    const pruned = await engine.sync({ tenantId: 'w1', workflows: [v1], prune: true })
    expect(pruned.disabled.map((e) => e.key)).toEqual(['welcome'])
    const trg = await engine.emit(trialExpiring, { tenantId: 'w1', payload: { email: 'x@example.com' } })
    const runs = await engine.getRunsByTrigger(trg.id)
    expect(runs.map((r) => r.definitionSnapshot.key)).toEqual(['trial-expiration'])
    // Bringing the key back re-enables it.
    const back = await engine.sync({ tenantId: 'w1', workflows: [v1, other], prune: true })
    expect(back.updated.map((e) => e.key)).toEqual(['welcome'])
  })

  it('keeps tenants apart and applies per-tenant config overrides', async () => {
    await engine.sync({ tenantId: 'w1', workflows: [v1], config: { 'trial-expiration': { plan: 'pro' } } })
    const plan = await engine.sync({ tenantId: 'w2', workflows: [v1] })
    expect(plan.created.map((e) => e.key)).toEqual(['trial-expiration'])
    const { rows } = await t.pool.query(`SELECT tenant_id, config FROM "${t.tablePrefix}workflow_definitions" ORDER BY tenant_id`)
    expect(rows).toEqual([
      { tenant_id: 'w1', config: { plan: 'pro' } },
      { tenant_id: 'w2', config: {} },
    ])
    await expect(engine.sync({ tenantId: 'w1', workflows: [v1], config: { nope: {} } })).rejects.toThrow(/no workflow with that key/)
  })

  it('validates per-tenant config overrides against the config schema a workflow declares', async () => {
    const schema = z.object({ graceDays: z.number().int().min(1).max(30), plan: z.enum(['free', 'pro']) })
    const typed = workflow('typed-config').on(trialExpiring).config({ graceDays: 3, plan: 'pro' }, { schema }).do('noop_typed', () => undefined)
    expect(() => workflow('bad-defaults').config({ graceDays: 0, plan: 'pro' }, { schema })).toThrow(PulseValidationError)
    engine.register(typed)
    const err = await engine
      .sync({ tenantId: 'w1', workflows: [typed], config: { 'typed-config': { graceDays: 90, plan: 'gold' } } })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PulseValidationError)
    expect((err as PulseValidationError).issues.map((i) => i.path.join('.')).sort()).toEqual(['config.typed-config.graceDays', 'config.typed-config.plan'])
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM "${t.tablePrefix}workflow_definitions"`)
    expect(rows[0].n).toBe(0)
    const plan = await engine.sync({ tenantId: 'w1', workflows: [typed], config: { 'typed-config': { graceDays: 7 } } })
    expect(plan.definitions[0]!.config).toEqual({ graceDays: 7, plan: 'pro' })
  })

  it('writes one version per content when two syncs of a tenant race', async () => {
    const second = t.sibling()
    second.register(v1, v2)
    await Promise.all([engine.sync({ tenantId: 'w1', workflows: [v2] }), second.sync({ tenantId: 'w1', workflows: [v2] })])
    const { rows } = await t.pool.query(`SELECT key, version FROM "${t.tablePrefix}workflow_definitions"`)
    expect(rows).toEqual([{ key: 'trial-expiration', version: 1 }])
  })

  it('reports a step whose handler is not registered, at sync and at start()', async () => {
    const raw = { ...other.compile(), key: 'raw-json', steps: [{ type: 'action' as const, name: 'missing_handler' }] }
    const err = await engine.sync({ tenantId: 'w1', workflows: [raw] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PulseValidationError)
    expect((err as Error).message).toContain('uses action "missing_handler", which is not registered')

    await engine.createWorkflow({ ...raw, tenantId: 'w1' })
    const fresh = t.sibling()
    fresh.register(v1)
    const startErr = await fresh.start().catch((e: unknown) => e)
    expect(startErr).toBeInstanceOf(PulseConfigError)
    expect((startErr as Error).message).toMatch(/step "missing_handler" of workflow "raw-json" \(tenant "w1"\)/)
  })
})
