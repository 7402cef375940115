import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { trigger, workflow, type Engine } from '../../src/index.js'
import { startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const trialExpiring = trigger('dsl.trial.expiring', { source: 'billing', payload: z.object({ accountId: z.string() }) })
const subscriptionCreated = trigger('dsl.subscription.created', {
  source: 'billing',
  payload: z.object({ accountId: z.string(), plan: z.enum(['pro', 'team']) }),
})
const subscriptionFailed = trigger('dsl.subscription.failed', { source: 'billing', payload: z.object({ accountId: z.string(), reason: z.string() }) })
const accountClosed = trigger('dsl.account.closed', { source: 'accounts' })

let outcomes: unknown[] = []

// Registered with engine.register() only: the awaited and canceling triggers come with it.
const trial = workflow('dsl-trial')
  .on(trialExpiring)
  .cancelOn(accountClosed, { match: 'resourceId' })
  .waitFor('outcome', [subscriptionCreated, subscriptionFailed], { match: 'payload.accountId', timeout: '1h' })
  .do('record', (ctx) => {
    const outcome = ctx.steps.outcome
    outcomes.push(outcome.received ? { type: outcome.signal.type, payload: outcome.signal.payload } : 'timed out')
  })

describe.skipIf(servicesMissing())('DSL waits and cancelOn on an engine', () => {
  let t: TestEngine
  let engine: Engine
  let tenants = 0

  beforeAll(async () => {
    t = await startTestEngine()
    engine = t.engine
    engine.register(trial)
  })
  afterAll(() => t.close())

  it('resumes a DSL wait with the first matching signal of either trigger, typed as its schema says', async () => {
    const tenantId = `dsl${++tenants}`
    outcomes = []
    await engine.sync({ tenantId, workflows: [trial] })
    const started = await engine.emit(trialExpiring, { tenantId, resourceId: 'acct_1', payload: { accountId: 'a1' } })
    const runId = started.runs[0]!.runId
    await waitForRun(engine, runId, ['waiting'])
    await engine.emit(subscriptionFailed, { tenantId, payload: { accountId: 'other', reason: 'card' } })
    const matching = await engine.emit(subscriptionFailed, { tenantId, payload: { accountId: 'a1', reason: 'card declined' } })
    expect(matching.resolvedWaits).toEqual([{ runId, stepName: 'outcome' }])
    expect((await waitForRun(engine, runId)).status).toBe('completed')
    expect(outcomes).toEqual([{ type: 'dsl.subscription.failed', payload: { accountId: 'a1', reason: 'card declined' } }])
  })

  it('cancels a waiting run when the cancelOn signal for its resource arrives', async () => {
    const tenantId = `dsl${++tenants}`
    await engine.sync({ tenantId, workflows: [trial] })
    const started = await engine.emit(trialExpiring, { tenantId, resourceId: 'acct_2', payload: { accountId: 'a2' } })
    const runId = started.runs[0]!.runId
    await waitForRun(engine, runId, ['waiting'])
    await engine.emit(accountClosed, { tenantId, resourceId: 'acct_other', payload: {} })
    expect((await engine.getRun(runId))!.status).toBe('waiting')
    await engine.emit(accountClosed, { tenantId, resourceId: 'acct_2', payload: {} })
    expect((await waitForRun(engine, runId)).status).toBe('canceled')
  })
})
