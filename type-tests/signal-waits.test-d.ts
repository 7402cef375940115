import { expectAssignable, expectError, expectType } from 'tsd'
import { z } from 'zod'
import { trigger, workflow, type AnyWorkflow, type IsAny, type JsonObject } from '../dist/index.js'

const notAny = <T>(_value: T): IsAny<T> => null as unknown as IsAny<T>

const trialExpiring = trigger('trial.expiring', {
  source: 'billing',
  payload: z.object({ accountId: z.string(), account: z.object({ region: z.string() }), seats: z.number() }),
})
const subscriptionCreated = trigger('subscription.created', {
  source: 'billing',
  payload: z.object({ accountId: z.string(), plan: z.enum(['pro', 'team']), account: z.object({ region: z.string() }) }),
})
const subscriptionFailed = trigger('subscription.failed', { source: 'billing', payload: z.object({ accountId: z.string(), reason: z.string() }) })
const accountClosed = trigger('account.closed', { source: 'accounts' })

type Created = { id: string; type: 'subscription.created'; payload: { accountId: string; plan: 'pro' | 'team'; account: { region: string } }; resourceId?: string; createdAt: string }
type Failed = { id: string; type: 'subscription.failed'; payload: { accountId: string; reason: string }; resourceId?: string; createdAt: string }

// --- the output later steps read -------------------------------------------------------------
const trial = workflow('trial').on(trialExpiring)

trial
  .waitFor('upgrade', subscriptionCreated, { match: 'payload.accountId', timeout: '3d' })
  .do('after', (ctx) => {
    expectType<{ received: true; signal: Created } | { received: false }>(ctx.steps.upgrade)
    expectType<false>(notAny(ctx.steps.upgrade))
    const wait = ctx.steps.upgrade
    if (wait.received) expectType<'pro' | 'team'>(wait.signal.payload.plan)
    else expectError(wait.signal)
  })

// The first of several: `signal` is a union told apart by `type`.
trial
  .waitFor('outcome', [subscriptionCreated, subscriptionFailed], { match: ['resourceId', 'payload.accountId'], timeout: '1h', onTimeout: 'fail' })
  .do('after', (ctx) => {
    expectType<{ received: true; signal: Created | Failed } | { received: false }>(ctx.steps.outcome)
    const wait = ctx.steps.outcome
    if (wait.received && wait.signal.type === 'subscription.failed') expectType<string>(wait.signal.payload.reason)
    if (wait.received && wait.signal.type === 'subscription.created') expectError(wait.signal.payload.reason)
  })

// A wait a condition may skip is `| undefined`, as any step's output; a wait in a branch shows after the parallel step.
trial
  .when('maybe', () => true, { onFalse: 'skip' })
  .waitFor('skippable', subscriptionFailed, { match: 'resourceId', timeout: '1h' })
  .parallel('p', (b) => b.waitFor('in_branch', accountClosed, { match: 'resourceId', timeout: '1m' }), (b) => b.delay('1s'))
  .do('after', (ctx) => {
    expectType<{ received: true; signal: Failed } | { received: false } | undefined>(ctx.steps.skippable)
    expectType<{ received: true; signal: { id: string; type: 'account.closed'; payload: JsonObject; resourceId?: string; createdAt: string } } | { received: false }>(
      ctx.steps.in_branch,
    )
  })

expectAssignable<AnyWorkflow>(trial.waitFor('w', subscriptionCreated, { match: 'payload.account.region', timeout: 1000 }))
// Without a schema any payload path may exist.
expectAssignable<AnyWorkflow>(workflow('u').on(accountClosed).waitFor('w', accountClosed, { match: 'payload.any.depth', timeout: '1m' }))

// --- compile errors ----------------------------------------------------------------------------
// A payload path must be a field of the workflow's trigger and of every awaited trigger.
expectError(trial.waitFor('w', subscriptionCreated, { match: 'payload.plan', timeout: '1h' }))
expectError(trial.waitFor('w', subscriptionCreated, { match: 'payload.seats', timeout: '1h' }))
expectError(trial.waitFor('w', [subscriptionCreated, subscriptionFailed], { match: 'payload.account.region', timeout: '1h' }))
expectError(trial.waitFor('w', subscriptionCreated, { match: ['resourceId', 'payload.account.nope'], timeout: '1h' }))
// Malformed paths, an empty list, a bad duration or onTimeout, a taken name.
expectError(trial.waitFor('w', subscriptionCreated, { match: 'tenantId', timeout: '1h' }))
expectError(trial.waitFor('w', subscriptionCreated, { match: [], timeout: '1h' }))
expectError(trial.waitFor('w', subscriptionCreated, { match: 'resourceId', timeout: '3 days' }))
expectError(trial.waitFor('w', subscriptionCreated, { match: 'resourceId', timeout: '1h', onTimeout: 'retry' }))
expectError(trial.waitFor('w', subscriptionCreated, { match: 'resourceId' }))
expectError(trial.delay('1h').waitFor('wait_1h', subscriptionCreated, { match: 'resourceId', timeout: '1h' }))
expectError(trial.waitFor('w', 'subscription.created', { match: 'resourceId', timeout: '1h' }))
// Before .on() there are no steps.
expectError(workflow('x').waitFor('w', subscriptionCreated, { match: 'resourceId', timeout: '1h' }))

// --- cancelOn --------------------------------------------------------------------------------
expectAssignable<AnyWorkflow>(
  trial.cancelOn(subscriptionCreated, { match: 'payload.accountId' }).cancelOn(accountClosed, { match: ['resourceId'] }).delay('3d'),
)
expectError(trial.cancelOn(subscriptionFailed, { match: 'payload.reason' }))
expectError(trial.cancelOn(subscriptionFailed, { match: 'tenantId' }))
// Only right after .on(), before the first step; never before .on() or in a branch.
expectError(trial.delay('1d').cancelOn(accountClosed, { match: 'resourceId' }))
expectError(workflow('x').cancelOn(accountClosed, { match: 'resourceId' }))
expectError(trial.parallel('p', (b) => b.cancelOn(accountClosed, { match: 'resourceId' }), (b) => b.delay('1s')))
