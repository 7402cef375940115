import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { collectRegistrations, trigger, workflow } from '../../src/index.js'
import { expectIssue, issuesOf } from './expect-issues.js'

const trialExpiring = trigger('trial.expiring', { source: 'billing', payload: z.object({ accountId: z.string() }) })
const subscriptionCreated = trigger('subscription.created', { source: 'billing', payload: z.object({ accountId: z.string(), plan: z.string() }) })
const subscriptionFailed = trigger('subscription.failed', { source: 'billing', payload: z.object({ accountId: z.string() }) })
const accountClosed = trigger('account.closed', { source: 'accounts' })

const base = workflow('trial').on(trialExpiring)

describe('waitFor', () => {
  it('compiles one awaited trigger and a single match path to the stored JSON form', () => {
    const spec = base.waitFor('wait_for_upgrade', subscriptionCreated, { match: 'payload.accountId', timeout: '3d' }).compile()
    expect(spec.steps).toEqual([
      { type: 'wait_for_signal', name: 'wait_for_upgrade', signalTypes: ['subscription.created'], match: ['payload.accountId'], timeoutMs: 259_200_000 },
    ])
  })

  it('compiles a list of triggers, a list of paths and onTimeout', () => {
    const spec = base
      .waitFor('outcome', [subscriptionCreated, subscriptionFailed], { match: ['resourceId', 'payload.accountId'], timeout: 90_000, onTimeout: 'fail' })
      .compile()
    expect(spec.steps).toEqual([
      {
        type: 'wait_for_signal',
        name: 'outcome',
        signalTypes: ['subscription.created', 'subscription.failed'],
        match: ['resourceId', 'payload.accountId'],
        timeoutMs: 90_000,
        onTimeout: 'fail',
      },
    ])
  })

  it('is a step inside parallel branches too', () => {
    const spec = base
      .parallel('p', (b) => b.waitFor('upgraded', subscriptionCreated, { match: 'resourceId', timeout: '1h' }), (b) => b.delay('1s'))
      .compile()
    expect(spec.steps[0].branches![0]).toEqual([
      { type: 'wait_for_signal', name: 'upgraded', signalTypes: ['subscription.created'], match: ['resourceId'], timeoutMs: 3_600_000 },
    ])
  })

  it('refuses a timeout over 30 days, of 0, or missing, at the step\'s timeoutMs', () => {
    expectIssue(() => base.waitFor('w', subscriptionCreated, { match: 'resourceId', timeout: '31d' }), ['steps', 0, 'timeoutMs'], /30 days|2592000000/)
    expectIssue(() => base.waitFor('w', subscriptionCreated, { match: 'resourceId', timeout: 0 }), ['steps', 0, 'timeoutMs'], /./)
    expectIssue(() => base.waitFor('w', subscriptionCreated, { match: 'resourceId' } as never), ['steps', 0, 'timeoutMs'], /timeout is required/)
  })

  it('refuses a malformed or empty match and an onTimeout outside the three values', () => {
    expectIssue(() => base.waitFor('w', subscriptionCreated, { match: 'tenantId' as never, timeout: '1h' }), ['steps', 0, 'match'], /tenantId|path/)
    expectIssue(() => base.waitFor('w', subscriptionCreated, { match: [] as never, timeout: '1h' }), ['steps', 0, 'match'], /match is empty/)
    expectIssue(() => base.waitFor('w', subscriptionCreated, { timeout: '1h' } as never), ['steps', 0, 'match'], /match is required/)
    expectIssue(
      () => base.waitFor('w', subscriptionCreated, { match: 'resourceId', timeout: '1h', onTimeout: 'retry' as never }),
      ['steps', 0, 'onTimeout'],
      /"continue"/,
    )
  })

  it('refuses something that is not a trigger, and unknown options', () => {
    expectIssue(() => base.waitFor('w', 'subscription.created' as never, { match: 'resourceId', timeout: '1h' }), ['steps', 0, 'signalTypes'], /trigger\(/)
    expectIssue(() => base.waitFor('w', [] as never, { match: 'resourceId', timeout: '1h' }), ['steps', 0, 'signalTypes'], /trigger\(/)
    expectIssue(
      () => base.waitFor('w', subscriptionCreated, { match: 'resourceId', timeout: '1h', retry: 1 } as never),
      ['steps', 0],
      /unknown option "retry"/,
    )
  })

  it('refuses a name used before, as every step does', () => {
    const issues = issuesOf(() => base.delay('1s').waitFor('wait_1s' as string, subscriptionCreated, { match: 'resourceId', timeout: '1h' }))
    expect(issues.map((i) => i.path)).toEqual([['steps', 1, 'name']])
  })
})

describe('cancelOn', () => {
  it('compiles its entries in call order, after the steps-free prefix', () => {
    const spec = base
      .cancelOn(subscriptionCreated, { match: 'payload.accountId' })
      .cancelOn(accountClosed, { match: ['resourceId', 'environment'] })
      .delay('3d')
      .compile()
    expect(spec.cancelOn).toEqual([
      { signalType: 'subscription.created', match: ['payload.accountId'] },
      { signalType: 'account.closed', match: ['resourceId', 'environment'] },
    ])
  })

  it('leaves cancelOn out of the JSON when none is given', () => {
    expect('cancelOn' in base.delay('1s').compile()).toBe(false)
  })

  it('refuses a call after the first step, before .on(), and a malformed match', () => {
    expectIssue(() => (base.delay('1s') as unknown as typeof base).cancelOn(accountClosed, { match: 'resourceId' }), ['cancelOn', 0], /before the first step/)
    expectIssue(
      () => (workflow('x') as unknown as typeof base).cancelOn(accountClosed, { match: 'resourceId' }),
      ['cancelOn', 0],
      /call \.on\(trigger\) before cancelOn/,
    )
    expectIssue(() => base.cancelOn(accountClosed, { match: 'payload' as never }), ['cancelOn', 0, 'match'], /payload/)
    expectIssue(() => base.cancelOn('account.closed' as never, { match: 'resourceId' }), ['cancelOn', 0, 'signalType'], /trigger\(/)
  })
})

describe('registrations of awaited and canceling triggers', () => {
  it('lists each trigger once, cancelOn first, then waits in step order, branch waits included', () => {
    const wf = base
      .cancelOn(accountClosed, { match: 'resourceId' })
      .waitFor('outcome', [subscriptionCreated, subscriptionFailed], { match: 'resourceId', timeout: '1h' })
      .parallel('p', (b) => b.waitFor('again', subscriptionCreated, { match: 'resourceId', timeout: '1h' }), (b) => b.delay('1s'))
    const { trigger: started, signalTriggers } = collectRegistrations(wf)
    expect(started).toBe(trialExpiring)
    expect(signalTriggers).toEqual([accountClosed, subscriptionCreated, subscriptionFailed])
    expect(signalTriggers[1]).toBe(subscriptionCreated)
  })

  it('is empty for a workflow that neither waits nor cancels', () => {
    expect(collectRegistrations(base.delay('1s')).signalTriggers).toEqual([])
  })
})
