import { describe, expect, it } from 'vitest'
import { definitionHash } from '../../src/definition/index.js'
import { validateDefinition, type FlowControl, type WorkflowSpec } from '../../src/index.js'
import { expectIssue, issuesOf } from '../dsl/expect-issues.js'

const base: WorkflowSpec = { key: 'sync-account', name: 'Sync account', triggerType: 'account.changed', steps: [{ type: 'action', name: 'sync' }], config: {}, isEnabled: true }
const withFlow = (flow: unknown) => ({ ...base, flow })
const DAY = 86_400_000

const full: FlowControl = {
  concurrency: { limit: 1, key: 'payload.accountId', mode: 'cancel-running' },
  throttle: { limit: 10, periodMs: 60_000, key: 'resourceId' },
  rateLimit: { limit: 100, periodMs: DAY },
  debounce: { waitMs: 5000, maxWaitMs: 60_000, key: 'payload.account.id' },
  priority: 8,
}

describe('validateDefinition: flow', () => {
  it('accepts every setting at once and returns it as written', () => {
    const out = validateDefinition(withFlow(full))
    expect(out.flow).toEqual(full)
    expect(validateDefinition(out)).toEqual(out)
  })

  it('accepts the bounds: limit 1 and 100,000, periods of 1 ms and 30 days, maxWaitMs equal to waitMs, priority 1 and 10', () => {
    const bounds = [
      { concurrency: { limit: 1 }, throttle: { limit: 100_000, periodMs: 1 }, rateLimit: { limit: 1, periodMs: 30 * DAY }, priority: 1 },
      { debounce: { waitMs: 30 * DAY, maxWaitMs: 30 * DAY }, priority: 10 },
      { debounce: { waitMs: 1, maxWaitMs: 1 } },
    ]
    for (const flow of bounds) expect(validateDefinition(withFlow(flow)).flow).toEqual(flow)
  })

  it('is allowed on a cron workflow', () => {
    const out = validateDefinition({ ...withFlow({ concurrency: { limit: 1, mode: 'skip' } }), cronExpression: '*/5 * * * *' })
    expect(out.flow).toEqual({ concurrency: { limit: 1, mode: 'skip' } })
  })

  it('stores an empty flow as none', () => {
    expect(validateDefinition(withFlow({}))).not.toHaveProperty('flow')
    expect(validateDefinition(base)).not.toHaveProperty('flow')
  })

  it.each([
    ['concurrency', { limit: 0 }],
    ['throttle', { limit: -1, periodMs: 1000 }],
    ['rateLimit', { limit: 100_001, periodMs: 1000 }],
  ])('rejects a %s limit outside 1 to 100,000', (field, value) => {
    expectIssue(() => validateDefinition(withFlow({ [field]: value })), ['flow', field, 'limit'], 'limit must be between 1 and 100000')
  })

  it('rejects a limit that is not a whole number, or missing', () => {
    expectIssue(() => validateDefinition(withFlow({ concurrency: { limit: 2.5 } })), ['flow', 'concurrency', 'limit'], 'limit must be a whole number')
    expectIssue(() => validateDefinition(withFlow({ concurrency: { limit: '2' } })), ['flow', 'concurrency', 'limit'], 'limit must be a number')
    expectIssue(() => validateDefinition(withFlow({ throttle: { periodMs: 1000 } })), ['flow', 'throttle', 'limit'], 'limit is required')
  })

  it.each([
    ['throttle', 'periodMs', { limit: 1 }],
    ['rateLimit', 'periodMs', { limit: 1 }],
    ['debounce', 'waitMs', {}],
  ])('rejects a %s.%s of 0, over 30 days, fractional or missing', (field, period, rest) => {
    const at = ['flow', field, period]
    const flow = (ms: unknown) => withFlow({ [field]: { ...rest, [period]: ms } })
    expectIssue(() => validateDefinition(flow(0)), at, `${period} must be greater than 0`)
    expectIssue(() => validateDefinition(flow(30 * DAY + 1)), at, `${period} must be at most 2592000000 ms (30 days)`)
    expectIssue(() => validateDefinition(flow(1.5)), at, `${period} must be a whole number of milliseconds`)
    expectIssue(() => validateDefinition(withFlow({ [field]: rest })), at, `${period} is required`)
  })

  it('rejects a maxWaitMs shorter than waitMs, of 0, or over 30 days', () => {
    const at = ['flow', 'debounce', 'maxWaitMs']
    expectIssue(() => validateDefinition(withFlow({ debounce: { waitMs: 5000, maxWaitMs: 4999 } })), at, /maxWaitMs is shorter than waitMs/)
    expectIssue(() => validateDefinition(withFlow({ debounce: { waitMs: 5000, maxWaitMs: 0 } })), at, 'maxWaitMs must be greater than 0')
    expectIssue(() => validateDefinition(withFlow({ debounce: { waitMs: 5000, maxWaitMs: 30 * DAY + 1 } })), at, /maxWaitMs must be at most/)
  })

  it('rejects a priority outside 1 to 10 or not a whole number', () => {
    for (const priority of [0, 11, -5]) expectIssue(() => validateDefinition(withFlow({ priority })), ['flow', 'priority'], 'priority must be between 1 and 10')
    expectIssue(() => validateDefinition(withFlow({ priority: 5.5 })), ['flow', 'priority'], 'priority must be a whole number')
    expectIssue(() => validateDefinition(withFlow({ priority: 'high' })), ['flow', 'priority'], 'priority must be a number')
  })

  it('rejects a concurrency mode other than queue, skip and cancel-running', () => {
    expectIssue(() => validateDefinition(withFlow({ concurrency: { limit: 1, mode: 'replace' } })), ['flow', 'concurrency', 'mode'], /mode must be "queue"/)
  })

  it.each([
    ['payload', /key "payload" names no field/],
    ['payload.a..b', /has an empty field/],
    ['payload.order id', /may only use letters/],
    ['resourceid', /did you mean "resourceId"/],
    ['accountId', /a payload field is written "payload.accountId"/],
    ['tenantId', /limits are always counted within the tenant/],
    ['', /key is empty/],
  ])('rejects the malformed key %j, in every setting that takes a key', (key, message) => {
    for (const [field, rest] of [['concurrency', { limit: 1 }], ['throttle', { limit: 1, periodMs: 1 }], ['rateLimit', { limit: 1, periodMs: 1 }], ['debounce', { waitMs: 1 }]] as const) {
      expectIssue(() => validateDefinition(withFlow({ [field]: { ...rest, key } })), ['flow', field, 'key'], message)
    }
  })

  it('rejects a key that is not a string', () => {
    expectIssue(() => validateDefinition(withFlow({ concurrency: { limit: 1, key: ['resourceId'] } })), ['flow', 'concurrency', 'key'], /key must be a path/)
  })

  it('rejects unknown fields in flow and in each setting', () => {
    expectIssue(() => validateDefinition(withFlow({ priorty: 3 })), ['flow'], 'unknown field "priorty"; remove it')
    expectIssue(() => validateDefinition(withFlow({ concurrency: { limit: 1, per: 1000 } })), ['flow', 'concurrency'], 'unknown field "per"; remove it')
    expectIssue(() => validateDefinition(withFlow({ throttle: { limit: 1, periodMs: 1, burst: 2 } })), ['flow', 'throttle'], 'unknown field "burst"; remove it')
    expectIssue(() => validateDefinition(withFlow({ rateLimit: { limit: 1, periodMs: 1, mode: 'skip' } })), ['flow', 'rateLimit'], 'unknown field "mode"; remove it')
    expectIssue(() => validateDefinition(withFlow({ debounce: { waitMs: 1, leading: true } })), ['flow', 'debounce'], 'unknown field "leading"; remove it')
  })

  it('rejects a flow or a setting that is not an object', () => {
    expectIssue(() => validateDefinition(withFlow('fair')), ['flow'], /flow must be an object/)
    expectIssue(() => validateDefinition(withFlow({ concurrency: 1 })), ['flow', 'concurrency'], /concurrency must be an object/)
    expectIssue(() => validateDefinition(withFlow({ debounce: '5s' })), ['flow', 'debounce'], /debounce must be an object/)
  })

  it('reports every problem of a flow at once, each at its path', () => {
    const issues = issuesOf(() => validateDefinition(withFlow({ concurrency: { limit: 0 }, throttle: { limit: 1, periodMs: 0 }, priority: 11 })))
    expect(issues.map((i) => i.path)).toEqual([
      ['flow', 'concurrency', 'limit'],
      ['flow', 'throttle', 'periodMs'],
      ['flow', 'priority'],
    ])
  })
})

describe('definitionHash: flow', () => {
  const { key: _key, ...spec } = base

  it('is the same with no flow and with an empty one, and as before flow existed', () => {
    const { key: _k, ...validated } = validateDefinition(withFlow({}))
    expect(definitionHash(validated)).toBe(definitionHash(spec))
    expect(definitionHash({ name: 'n', triggerType: 't.x', steps: [{ type: 'action', name: 'a' }], config: { a: 1 }, isEnabled: true })).toBe('6b84fd7a3411311348c2286633eada8c')
  })

  it('changes when flow is added or any of its settings changes, and not with the order of its fields', () => {
    const hashes = new Set(
      [
        undefined,
        { priority: 5 },
        { priority: 6 },
        { concurrency: { limit: 1 } },
        { concurrency: { limit: 2 } },
        { concurrency: { limit: 1, mode: 'skip' as const } },
        { concurrency: { limit: 1, key: 'resourceId' as const } },
        { throttle: { limit: 1, periodMs: 1000 } },
        { rateLimit: { limit: 1, periodMs: 1000 } },
        { debounce: { waitMs: 1000 } },
        { debounce: { waitMs: 1000, maxWaitMs: 2000 } },
      ].map((flow) => definitionHash({ ...spec, flow })),
    )
    expect(hashes.size).toBe(11)
    expect(definitionHash({ ...spec, flow: { throttle: { periodMs: 1000, limit: 1 }, priority: 2 } })).toBe(
      definitionHash({ ...spec, flow: { priority: 2, throttle: { limit: 1, periodMs: 1000 } } }),
    )
  })
})
