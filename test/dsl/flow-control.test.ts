import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { action, trigger, workflow } from '../../src/index.js'
import { expectIssue, issuesOf } from './expect-issues.js'

const accountChanged = trigger('account.changed', {
  source: 'app',
  payload: z.object({ accountId: z.string(), account: z.object({ region: z.string() }) }),
})
const syncAccount = action('sync_account', () => undefined)
const base = workflow('sync-account').on(accountChanged)
/** The builder as plain JavaScript sees it: the misuse the types refuse still has to fail at run time. */
const untyped = base as unknown as Record<string, (...args: unknown[]) => typeof untyped> & { compile(): unknown }

describe('flow control methods', () => {
  it('compile each setting to the flow JSON, durations in milliseconds', () => {
    const spec = base
      .concurrency({ limit: 1, key: 'payload.accountId', mode: 'cancel-running' })
      .throttle({ limit: 10, per: '1m' })
      .rateLimit({ limit: 100, per: 3_600_000, key: 'resourceId' })
      .debounce({ wait: '5s', maxWait: '1m30s', key: 'payload.account.region' })
      .priority(8)
      .do(syncAccount)
      .compile()
    expect(spec.flow).toEqual({
      concurrency: { limit: 1, key: 'payload.accountId', mode: 'cancel-running' },
      throttle: { limit: 10, periodMs: 60_000 },
      rateLimit: { limit: 100, periodMs: 3_600_000, key: 'resourceId' },
      debounce: { waitMs: 5000, maxWaitMs: 90_000, key: 'payload.account.region' },
      priority: 8,
    })
  })

  it('may be chained in any order, with cancelOn among them, and on a cron workflow', () => {
    const spec = base
      .priority(2)
      .cancelOn(accountChanged, { match: 'resourceId' })
      .debounce({ wait: 1000 })
      .concurrency({ limit: 3 })
      .cron('*/5 * * * *')
      .do(syncAccount)
      .compile()
    expect(spec.flow).toEqual({ priority: 2, debounce: { waitMs: 1000 }, concurrency: { limit: 3 } })
    expect(spec.cronExpression).toBe('*/5 * * * *')
  })

  it('leave flow out of the JSON when none is set', () => {
    expect('flow' in base.do(syncAccount).compile()).toBe(false)
  })

  it('keep a half-built chain reusable: a setting on one branch of it does not show on another', () => {
    const limited = base.concurrency({ limit: 1 })
    const a = limited.priority(9).do(syncAccount).compile()
    const b = limited.do(syncAccount).compile()
    expect(a.flow).toEqual({ concurrency: { limit: 1 }, priority: 9 })
    expect(b.flow).toEqual({ concurrency: { limit: 1 } })
  })

  it.each([
    ['concurrency', { limit: 1 }],
    ['throttle', { limit: 1, per: '1s' }],
    ['rateLimit', { limit: 1, per: '1s' }],
    ['debounce', { wait: '1s' }],
    ['priority', 3],
  ])('refuse a second %s() call, a call after the first step and one before .on()', (method, options) => {
    expectIssue(() => untyped[method]!(options)[method]!(options), ['flow', method], `${method}() was already called on this workflow; call it once`)
    expectIssue(() => untyped.delay!('1s')[method]!(options), ['flow', method], `${method}() belongs right after .on(), before the first step`)
    const start = workflow('x') as unknown as typeof untyped
    expectIssue(() => start[method]!(options), ['flow', method], `call .on(trigger) before ${method}()`)
  })

  it('are not available in a parallel branch', () => {
    expect(() => base.parallel('p', (b) => (b as unknown as typeof untyped).priority!(3) as never, (b) => b.delay('1s'))).toThrow(TypeError)
  })

  it('refuse a limit outside 1 to 100,000 or not whole, with the path it has in the JSON', () => {
    expectIssue(() => untyped.concurrency!({ limit: 0 }), ['flow', 'concurrency', 'limit'], 'limit must be between 1 and 100000')
    expectIssue(() => untyped.throttle!({ limit: 1.5, per: '1s' }), ['flow', 'throttle', 'limit'], 'limit must be a whole number')
    expectIssue(() => untyped.rateLimit!({ limit: 100_001, per: '1s' }), ['flow', 'rateLimit', 'limit'], 'limit must be between 1 and 100000')
  })

  it('refuse periods of 0, over 30 days, unreadable or missing, naming the option as written', () => {
    expectIssue(() => untyped.throttle!({ limit: 1, per: '0s' }), ['flow', 'throttle', 'periodMs'], 'per must be greater than 0')
    expectIssue(() => untyped.rateLimit!({ limit: 1, per: '31d' }), ['flow', 'rateLimit', 'periodMs'], 'per must be at most 2592000000 ms (30 days)')
    expectIssue(() => untyped.throttle!({ limit: 1, per: '1 minute' }), ['flow', 'throttle', 'periodMs'], /per "1 minute" is not valid/)
    expectIssue(() => untyped.rateLimit!({ limit: 1 }), ['flow', 'rateLimit', 'periodMs'], 'per is required: a duration such as "1m"')
    expectIssue(() => untyped.debounce!({ wait: 0 }), ['flow', 'debounce', 'waitMs'], 'wait must be greater than 0')
    expectIssue(() => untyped.debounce!({ maxWait: '1m' }), ['flow', 'debounce', 'waitMs'], 'wait is required: a duration such as "5s"')
    expectIssue(() => untyped.debounce!({ wait: '1s', maxWait: '31d' }), ['flow', 'debounce', 'maxWaitMs'], /maxWait must be at most/)
  })

  it('refuse a maxWait shorter than wait', () => {
    expectIssue(() => untyped.debounce!({ wait: '10s', maxWait: '5s' }), ['flow', 'debounce', 'maxWaitMs'], /^maxWait is shorter than wait/)
  })

  it('refuse a priority outside 1 to 10 or not whole', () => {
    for (const n of [0, 11, 2.5]) expectIssue(() => untyped.priority!(n), ['flow', 'priority'], /priority must be/)
  })

  it('refuse a mode other than queue, skip and cancel-running', () => {
    expectIssue(() => untyped.concurrency!({ limit: 1, mode: 'latest' }), ['flow', 'concurrency', 'mode'], /mode must be "queue"/)
  })

  it('refuse malformed key paths', () => {
    expectIssue(() => untyped.concurrency!({ limit: 1, key: 'accountId' }), ['flow', 'concurrency', 'key'], /a payload field is written "payload.accountId"/)
    expectIssue(() => untyped.throttle!({ limit: 1, per: '1s', key: 'payload.' }), ['flow', 'throttle', 'key'], /has an empty field/)
    expectIssue(() => untyped.debounce!({ wait: '1s', key: 'tenantId' }), ['flow', 'debounce', 'key'], /always counted within the tenant/)
  })

  it('refuse unknown options and options that are not an object, listing what is accepted', () => {
    expectIssue(() => untyped.throttle!({ limit: 1, per: '1s', burst: 2 }), ['flow', 'throttle'], 'unknown option "burst"; throttle() accepts "limit", "per", "key"')
    expectIssue(() => untyped.debounce!({ wait: '1s', waitMs: 5 }), ['flow', 'debounce'], 'unknown option "waitMs"; debounce() accepts "wait", "maxWait", "key"')
    expectIssue(() => untyped.concurrency!(1), ['flow', 'concurrency'], /concurrency\(\) takes options such as/)
  })

  it('report every problem of one call together', () => {
    const issues = issuesOf(() => untyped.delay!('1s').throttle!({ limit: 0, per: 'soon' }))
    expect(issues.map((i) => i.path)).toEqual([
      ['flow', 'throttle'],
      ['flow', 'throttle', 'periodMs'],
      ['flow', 'throttle', 'limit'],
    ])
  })
})
