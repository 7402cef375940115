import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { PulseValidationError, trigger, workflow, type Engine, type FlowControl, type WorkflowSpec } from '../../src/index.js'
import { startTestEngine, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const accountChanged = trigger('account.changed', { source: 'app', payload: z.object({ accountId: z.string() }) })

/** A DSL workflow with every flow setting. */
const syncAccount = workflow('sync-account')
  .on(accountChanged)
  .concurrency({ limit: 1, key: 'payload.accountId', mode: 'cancel-running' })
  .throttle({ limit: 10, per: '1m' })
  .rateLimit({ limit: 100, per: '1h', key: 'resourceId' })
  .debounce({ wait: '5s', maxWait: '1m', key: 'payload.accountId' })
  .priority(8)
  .do('sync', () => undefined)

const syncAccountFlow: FlowControl = {
  concurrency: { limit: 1, key: 'payload.accountId', mode: 'cancel-running' },
  throttle: { limit: 10, periodMs: 60_000 },
  rateLimit: { limit: 100, periodMs: 3_600_000, key: 'resourceId' },
  debounce: { waitMs: 5000, maxWaitMs: 60_000, key: 'payload.accountId' },
  priority: 8,
}

/** The same kind of workflow as JSON, with a cron schedule. */
const nightly: WorkflowSpec = {
  key: 'nightly-report',
  name: 'Nightly report',
  triggerType: 'report.due',
  steps: [{ type: 'action', name: 'report' }],
  config: {},
  cronExpression: '0 2 * * *',
  flow: { concurrency: { limit: 1, mode: 'skip' } },
  isEnabled: true,
}

describe.skipIf(servicesMissing())('definitions with flow control', () => {
  let t: TestEngine
  let engine: Engine
  // One engine for the file (each test has its own tenants): an embedded engine takes seconds to open.
  beforeAll(async () => {
    // Not started: these tests look at what is stored, not at runs executing.
    t = await startTestEngine({}, { start: false })
    engine = t.engine
    engine.register(syncAccount)
    engine.registerTrigger('report.due', { source: 'scheduler' })
    engine.registerAction('report', () => undefined)
  })
  afterAll(() => t.close())

  const column = async (tenantId: string) =>
    (await t.pool.query(`SELECT key, flow FROM "${t.tablePrefix}workflow_definitions" WHERE tenant_id = $1 ORDER BY key`, [tenantId])).rows as { key: string; flow: unknown }[]

  it('syncs a DSL workflow and a cron JSON workflow with flow, and returns flow from sync, listWorkflows and a tenant view', async () => {
    const plan = await engine.sync({ tenantId: 'a1', workflows: [syncAccount, nightly] })
    expect(Object.fromEntries(plan.definitions.map((d) => [d.key, d.flow]))).toEqual({ 'sync-account': syncAccountFlow, 'nightly-report': nightly.flow })
    const listed = await engine.listWorkflows({ tenantId: 'a1' })
    expect(Object.fromEntries(listed.map((d) => [d.key, d.flow]))).toEqual({ 'sync-account': syncAccountFlow, 'nightly-report': nightly.flow })
    const [scoped] = await engine.forTenant('a1').listWorkflows({ key: 'sync-account' })
    expect(scoped!.flow).toEqual(syncAccountFlow)
    expect(await column('a1')).toEqual([
      { key: 'nightly-report', flow: nightly.flow },
      { key: 'sync-account', flow: syncAccountFlow },
    ])
    // Disabling returns the row from the same mapping.
    await engine.disableWorkflow(scoped!.id)
    expect((await engine.listWorkflows({ tenantId: 'a1', key: 'sync-account' }))[0]!.flow).toEqual(syncAccountFlow)
  })

  it('stores a new version when flow changes and none when it does not; without flow the column is NULL', async () => {
    await engine.sync({ tenantId: 'b1', workflows: [nightly] })
    expect((await engine.sync({ tenantId: 'b1', workflows: [nightly] })).unchanged.map((e) => e.key)).toEqual(['nightly-report'])

    const changed = { ...nightly, flow: { concurrency: { limit: 2, mode: 'skip' as const }, priority: 3 } }
    const plan = await engine.sync({ tenantId: 'b1', workflows: [changed] })
    expect(plan.updated).toEqual([expect.objectContaining({ key: 'nightly-report', version: 2 })])
    expect(plan.definitions[0]!.flow).toEqual(changed.flow)

    const { flow: _dropped, ...without } = nightly
    const removed = await engine.sync({ tenantId: 'b1', workflows: [without] })
    expect(removed.updated).toEqual([expect.objectContaining({ version: 3 })])
    expect(removed.definitions[0]).not.toHaveProperty('flow')
    expect(await column('b1')).toEqual([{ key: 'nightly-report', flow: null }])
  })

  it('stores flow for createWorkflow, and none for a workflow without it', async () => {
    const { key: _key, ...unkeyed } = nightly
    const def = await engine.createWorkflow({ ...unkeyed, tenantId: 'c2' })
    expect(def.flow).toEqual(nightly.flow)
    const plain = await engine.createWorkflow({ tenantId: 'c3', name: 'Plain', triggerType: 'report.due', steps: [{ type: 'action', name: 'report' }], config: {}, isEnabled: true })
    expect(plain).not.toHaveProperty('flow')
    expect((await engine.listWorkflows({ tenantId: 'c2' }))[0]!.flow).toEqual(nightly.flow)
  })

  it('refuses bad flow in sync and createWorkflow, naming its path, and writes nothing', async () => {
    const bad = { ...nightly, flow: { throttle: { limit: 0, periodMs: 1000 }, debounce: { waitMs: 5000, maxWaitMs: 1000 }, priority: 11 } }
    const synced = await engine.sync({ tenantId: 'd1', workflows: [syncAccount, bad] }).catch((e: unknown) => e)
    expect(synced).toBeInstanceOf(PulseValidationError)
    expect((synced as PulseValidationError).issues.map((i) => i.path)).toEqual([
      ['flow', 'throttle', 'limit'],
      ['flow', 'debounce', 'maxWaitMs'],
      ['flow', 'priority'],
    ])
    const { key: _key, ...unkeyed } = nightly
    const created = await engine.createWorkflow({ ...unkeyed, tenantId: 'd1', flow: { concurrency: { limit: 1, key: 'payload' as never } } }).catch((e: unknown) => e)
    expect(created).toBeInstanceOf(PulseValidationError)
    expect((created as PulseValidationError).issues).toEqual([{ path: ['flow', 'concurrency', 'key'], message: expect.stringContaining('key "payload" names no field') }])
    expect(await column('d1')).toEqual([])
  })
})
