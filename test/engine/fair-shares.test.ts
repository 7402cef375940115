import { afterEach, describe, expect, it } from 'vitest'
import { eventually, startTestEngine, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

describe.skipIf(servicesMissing())('fair shares between tenants', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  /**
   * An engine with one worker slot that has not started yet: every emitted run is queued, so the
   * order in which the handler starts them is the queue's order.
   */
  async function queuedEngine(weights?: Record<string, number>) {
    t = await startTestEngine({ concurrency: 1, ...(weights ? { tenantWeights: weights } : {}) }, { start: false })
    const order: string[] = []
    t.engine.registerTrigger('job.requested', { source: 'app' })
    t.engine.registerAction('work', (ctx) => {
      order.push(ctx.tenantId)
      return { success: true }
    })
    const emit = (tenantId: string) => t!.engine.emit({ tenantId, type: 'job.requested', payload: {} })
    return { engine: t.engine, order, emit }
  }
  const define = async (engine: TestEngine['engine'], tenantId: string) =>
    engine.createWorkflow({ tenantId, key: 'job', name: 'job', triggerType: 'job.requested', steps: [{ type: 'action', name: 'work' }], config: {}, isEnabled: true })

  it("a tenant's backlog does not hold back another tenant's run: it starts after at most one of the backlog", async () => {
    const { engine, order, emit } = await queuedEngine()
    await define(engine, 'big')
    await define(engine, 'small')
    for (let i = 0; i < 12; i++) await emit('big')
    await emit('small')
    await engine.start()
    await eventually(() => (order.length === 13 ? true : undefined), 30_000, 'all 13 runs')
    expect(order.indexOf('small')).toBeLessThanOrEqual(2)
  })

  it('tenants with backlogs take turns, in proportion to their weights', async () => {
    const { engine, order, emit } = await queuedEngine({ heavy: 3 })
    await define(engine, 'heavy')
    await define(engine, 'light')
    for (let i = 0; i < 10; i++) await emit('light')
    for (let i = 0; i < 10; i++) await emit('heavy')
    await engine.start()
    await eventually(() => (order.length === 20 ? true : undefined), 30_000, 'all 20 runs')
    // Of the first 8 starts, weight 3 against weight 1 gives the heavy tenant 6 (the light tenant's
    // first run may have gone before the heavy tenant had any queued).
    const heavy = order.slice(0, 8).filter((tenant) => tenant === 'heavy').length
    expect(heavy).toBeGreaterThanOrEqual(5)
    expect(heavy).toBeLessThanOrEqual(7)
  })

  it('with fairShares: false the queue is first-in, first-out across tenants', async () => {
    t = await startTestEngine({ concurrency: 1, fairShares: false }, { start: false })
    const order: string[] = []
    t.engine.registerTrigger('job.requested', { source: 'app' })
    t.engine.registerAction('work', (ctx) => {
      order.push(ctx.tenantId)
      return { success: true }
    })
    await define(t.engine, 'big')
    await define(t.engine, 'small')
    for (let i = 0; i < 6; i++) await t.engine.emit({ tenantId: 'big', type: 'job.requested', payload: {} })
    await t.engine.emit({ tenantId: 'small', type: 'job.requested', payload: {} })
    await t.engine.start()
    await eventually(() => (order.length === 7 ? true : undefined), 30_000, 'all 7 runs')
    expect(order.indexOf('small')).toBe(6)
  })

  it('refuses weights that are not positive numbers up to 1000', async () => {
    const { createEngine } = await import('../../src/index.js')
    expect(() => createEngine({ tenantWeights: { acme: 0 } })).toThrow(/tenantWeights\["acme"\] must be a number greater than 0 and at most 1000/)
    expect(() => createEngine({ tenantWeights: { acme: Number.NaN } })).toThrow(/tenantWeights/)
  })
})
