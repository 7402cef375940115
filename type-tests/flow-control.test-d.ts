import { expectAssignable, expectError, expectType } from 'tsd'
import { z } from 'zod'
import { trigger, workflow, type AnyWorkflow, type FlowControl, type IsAny, type WorkflowSpec } from '../dist/index.js'

const notAny = <T>(_value: T): IsAny<T> => null as unknown as IsAny<T>

const accountChanged = trigger('account.changed', {
  source: 'app',
  payload: z.object({ accountId: z.string(), account: z.object({ region: z.string(), id: z.number() }), tags: z.array(z.string()) }),
})
const pinged = trigger('ping', { source: 'monitor' })

const base = workflow('sync-account').on(accountChanged)

// --- good key paths, every method, any order --------------------------------------------------
const limited = base
  .concurrency({ limit: 1, key: 'payload.accountId', mode: 'cancel-running' })
  .throttle({ limit: 10, per: '1m', key: 'resourceId' })
  .rateLimit({ limit: 100, per: 3_600_000, key: 'payload.account.region' })
  .debounce({ wait: '5s', maxWait: '1m', key: 'payload.account.id' })
  .priority(8)
expectAssignable<AnyWorkflow>(limited.delay('1s'))
expectType<false>(notAny(limited))
// The builder's state is unchanged by a flow method: steps read the same context as without them.
expectType<typeof base>(base.priority(3))
base
  .concurrency({ limit: 2 })
  .do('read', (ctx) => {
    expectType<string>(ctx.trigger.payload.accountId)
    expectType<false>(notAny(ctx.trigger.payload))
  })
expectAssignable<AnyWorkflow>(base.priority(1).cancelOn(pinged, { match: 'resourceId' }).debounce({ wait: 1000 }).concurrency({ limit: 3, key: 'environment' }).delay('1s'))
expectAssignable<AnyWorkflow>(base.throttle({ limit: 1, per: '1h', key: 'resourceType' }).delay('1s'))
// A MatchPath-typed variable is accepted for a payload without a schema; any payload path may exist there.
expectAssignable<AnyWorkflow>(workflow('p').on(pinged).concurrency({ limit: 1, key: 'payload.any.depth' }).delay('1s'))
// A priority held in a number variable is checked at run time.
const urgency: number = 7
expectAssignable<AnyWorkflow>(base.priority(urgency).delay('1s'))

// The JSON types are exported and read as written.
const flow: FlowControl = { concurrency: { limit: 1, key: 'payload.accountId', mode: 'queue' }, throttle: { limit: 1, periodMs: 1000 }, priority: 5 }
expectAssignable<WorkflowSpec['flow']>(flow)
expectError<FlowControl>({ concurrency: { limit: 1, mode: 'latest' } })
expectError<FlowControl>({ debounce: { waitMs: 1, key: 'accountId' } })

// --- compile errors ----------------------------------------------------------------------------
// A payload path the trigger's payload does not have.
expectError(base.concurrency({ limit: 1, key: 'payload.accountid' }))
expectError(base.throttle({ limit: 1, per: '1m', key: 'payload.account.country' }))
expectError(base.rateLimit({ limit: 1, per: '1m', key: 'payload.plan' }))
expectError(base.debounce({ wait: '5s', key: 'payload.account.region.code' }))
// Malformed paths.
expectError(base.concurrency({ limit: 1, key: 'accountId' }))
expectError(base.concurrency({ limit: 1, key: 'tenantId' }))
expectError(base.debounce({ wait: '5s', key: 'resourceid' }))
// Bad durations, modes, missing options, unknown options, a priority literal outside 1 to 10.
expectError(base.throttle({ limit: 1, per: '1 minute' }))
expectError(base.throttle({ limit: 1 }))
expectError(base.debounce({ maxWait: '1m' }))
expectError(base.concurrency({ limit: 1, mode: 'latest' }))
expectError(base.concurrency({ limit: 1, per: '1m' }))
expectError(base.concurrency({}))
expectError(base.priority(11))
expectError(base.priority(0))
expectError(base.priority('high'))
// Only right after .on(), before the first step; never before .on() or in a branch.
expectError(base.delay('1s').concurrency({ limit: 1 }))
expectError(base.delay('1s').throttle({ limit: 1, per: '1m' }))
expectError(base.delay('1s').rateLimit({ limit: 1, per: '1m' }))
expectError(base.delay('1s').debounce({ wait: '1s' }))
expectError(base.delay('1s').priority(3))
expectError(workflow('x').concurrency({ limit: 1 }))
expectError(workflow('x').priority(3))
expectError(base.parallel('p', (b) => b.priority(3), (b) => b.delay('1s')))
