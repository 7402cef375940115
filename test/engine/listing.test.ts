import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { action, trigger, workflow, type Engine } from '../../src/index.js'
import { startTestEngine, type TestEngine } from '../support/engine.js'
import { MODE, servicesMissing } from '../support/services.js'

const signedUp = trigger('user.signed_up', { source: 'app' })
const pinged = trigger('ping', { source: 'app' })
const welcome = workflow('welcome').on(signedUp).do(action('send_welcome', () => undefined))
const cleanup = trigger('maintenance.cleanup', { source: 'scheduler' })
const nightly = workflow('nightly').on(cleanup).do(action('clean_up', () => undefined)).cron('0 2 * * *')

describe.skipIf(servicesMissing())('listSignals, listWorkflows and health', () => {
  let t: TestEngine
  let engine: Engine
  beforeAll(async () => {
    // Not started: these are read methods, and nothing here needs a run to execute.
    t = await startTestEngine({}, { start: false })
    engine = t.engine
    engine.register(welcome, nightly)
    engine.registerTrigger('ping', { source: 'app' })
    await engine.sync({ tenantId: 'w1', workflows: [welcome, nightly] })
    await engine.sync({ tenantId: 'w2', workflows: [welcome] })
  })
  afterAll(() => t.close())

  it('lists signals newest first, filtered by tenant and type, within the limit', async () => {
    const first = await engine.emit(signedUp, { tenantId: 'w1', payload: {} })
    const second = await engine.emit(pinged, { tenantId: 'w1', payload: {} })
    const third = await engine.emit(signedUp, { tenantId: 'w1', payload: {} })
    const other = await engine.emit(signedUp, { tenantId: 'w2', payload: {} })

    expect((await engine.listSignals({ tenantId: 'w1' })).map((s) => s.id)).toEqual([third.id, second.id, first.id])
    expect((await engine.listSignals({ tenantId: 'w1', type: 'user.signed_up' })).map((s) => s.id)).toEqual([third.id, first.id])
    expect((await engine.listSignals({ tenantId: 'w1', limit: 1 })).map((s) => s.id)).toEqual([third.id])
    expect((await engine.listSignals()).map((s) => s.id)).toEqual([other.id, third.id, second.id, first.id])
    expect(await engine.listSignals({ tenantId: 'nobody' })).toEqual([])

    // Scoped to a tenant, another tenant's signals do not exist, whatever the filter says.
    const scoped = engine.forTenant('w2')
    expect((await scoped.listSignals()).map((s) => s.id)).toEqual([other.id])
    expect((await scoped.listSignals({ tenantId: 'w1' } as never)).map((s) => s.id)).toEqual([other.id])
  })

  it('lists stored definitions by tenant and key, with their enabled state', async () => {
    const all = await engine.listWorkflows()
    expect(all.map((d) => [d.tenantId, d.key, d.version, d.isEnabled])).toEqual([
      ['w1', 'nightly', 1, true],
      ['w1', 'welcome', 1, true],
      ['w2', 'welcome', 1, true],
    ])
    expect(all[0]!.cronExpression).toBe('0 2 * * *')

    const [def] = await engine.listWorkflows({ tenantId: 'w2', key: 'welcome' })
    await engine.disableWorkflow(def!.id)
    expect((await engine.listWorkflows({ tenantId: 'w2' })).map((d) => [d.key, d.isEnabled])).toEqual([['welcome', false]])
    expect((await engine.forTenant('w1').listWorkflows()).map((d) => d.key)).toEqual(['nightly', 'welcome'])
    expect(await engine.forTenant('w1').listWorkflows({ tenantId: 'w2' } as never)).toHaveLength(2)
  })

  it('reports the schema version and, on Redis, the eviction policy', async () => {
    const health = await engine.health()
    expect(health.mode).toBe(MODE)
    expect(health.schema.upToDate).toBe(true)
    expect(health.schema.version).toBe(health.schema.latest)
    if (MODE === 'redis') expect(health.redisPolicy).toMatchObject({ ok: expect.anything() })
    else expect(health.redisPolicy).toBeUndefined()

    const fresh = t.sibling({ tablePrefix: `fresh${Date.now() % 100000}_` })
    expect((await fresh.health()).schema).toEqual({ version: null, latest: health.schema.latest, upToDate: false })
  })
})
