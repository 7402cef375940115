import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { action, compile, condition, trigger, workflow } from '../../src/index.js'

const heartbeatMissed = trigger('heartbeat.missed', {
  source: 'heartbeat',
  resourceType: 'service',
  payload: z.object({ lastSeenAt: z.string() }),
})
const stillDown = condition('service_still_down', () => true)
const createIncident = heartbeatMissed.action('create_incident', () => ({ success: true, data: { incidentId: 'inc_1' } }), {
  replaySafe: true,
})
const sendEmail = action('send_email', () => undefined)
const logEmailSent = action('log_email_sent', () => undefined)
const sendSlack = action('send_slack', () => undefined)

const base = workflow('wf').on(heartbeatMissed)

describe('compile', () => {
  it('compiles the smallest workflow with the key as name, empty config and enabled', () => {
    expect(base.do(sendEmail).compile()).toEqual({
      key: 'wf',
      name: 'wf',
      triggerType: 'heartbeat.missed',
      steps: [{ type: 'action', name: 'send_email' }],
      config: {},
      isEnabled: true,
    })
  })

  it('leaves out every field that was not set, so the JSON has no undefined values', () => {
    const spec = base.do(sendEmail).compile()
    expect(Object.keys(spec).sort()).toEqual(['config', 'isEnabled', 'key', 'name', 'steps', 'triggerType'])
    expect(Object.keys(spec.steps[0]).sort()).toEqual(['name', 'type'])
  })

  it('compiles the full incident workflow exactly', () => {
    const incident = workflow('incident-on-missed-heartbeat')
      .name('Incident on missed heartbeat')
      .description('Pages on-call when a service stays down')
      .on(heartbeatMissed, { environment: 'production', resourceType: 'service' })
      .delay('5m')
      .when(stillDown, { onFalse: 'complete' })
      .do(createIncident, { retry: { maxAttempts: 3, backoff: '5s' }, timeout: '30s' })
      .do('notify_oncall', () => ({ success: true }), { replaySafe: false })
      .parallel('notify_all', (b) => b.do(sendEmail).do(logEmailSent), (b) => b.do(sendSlack))
      .config({ severity: 'high' })
      .cron('0 2 * * *', { timezone: 'Europe/Paris' })
    expect(incident.compile()).toEqual({
      key: 'incident-on-missed-heartbeat',
      name: 'Incident on missed heartbeat',
      description: 'Pages on-call when a service stays down',
      triggerType: 'heartbeat.missed',
      environmentFilter: 'production',
      resourceTypeFilter: 'service',
      steps: [
        { type: 'delay', name: 'wait_5m', delayMs: 300_000 },
        { type: 'condition', name: 'service_still_down', onFalse: 'complete' },
        { type: 'action', name: 'create_incident', timeoutMs: 30_000, retryPolicy: { maxAttempts: 3, backoffMs: 5000 } },
        { type: 'action', name: 'notify_oncall' },
        {
          type: 'parallel',
          name: 'notify_all',
          branches: [
            [
              { type: 'action', name: 'send_email' },
              { type: 'action', name: 'log_email_sent' },
            ],
            [{ type: 'action', name: 'send_slack' }],
          ],
        },
      ],
      config: { severity: 'high' },
      cronExpression: '0 2 * * *',
      cronTimezone: 'Europe/Paris',
      isEnabled: true,
    })
  })

  it('gives the same JSON through the standalone compile()', () => {
    const wf = base.delay('1s').do(sendEmail)
    expect(compile(wf)).toEqual(wf.compile())
  })

  it('returns a fresh object each time that the caller may change', () => {
    const wf = base.do(sendEmail)
    const first = wf.compile()
    first.steps.push({ type: 'delay', name: 'x', delayMs: 1 })
    expect(wf.compile().steps).toHaveLength(1)
  })
})

describe('trigger filters', () => {
  it('writes environment and resourceType filters', () => {
    expect(workflow('wf').on(heartbeatMissed, { environment: 'staging' }).do(sendEmail).compile()).toMatchObject({
      environmentFilter: 'staging',
    })
    const spec = workflow('wf').on(heartbeatMissed, { resourceType: 'database' }).do(sendEmail).compile()
    expect(spec.resourceTypeFilter).toBe('database')
    expect(spec).not.toHaveProperty('environmentFilter')
  })

  it('does not copy the trigger resourceType into a filter', () => {
    expect(base.do(sendEmail).compile()).not.toHaveProperty('resourceTypeFilter')
  })
})

describe('delay', () => {
  it.each([
    [250, { type: 'delay', name: 'wait_250ms', delayMs: 250 }],
    [300_000, { type: 'delay', name: 'wait_5m', delayMs: 300_000 }],
    [5_400_000, { type: 'delay', name: 'wait_1h30m', delayMs: 5_400_000 }],
    ['30s', { type: 'delay', name: 'wait_30s', delayMs: 30_000 }],
    ['2h', { type: 'delay', name: 'wait_2h', delayMs: 7_200_000 }],
    ['3d', { type: 'delay', name: 'wait_3d', delayMs: 259_200_000 }],
    ['1h30m', { type: 'delay', name: 'wait_1h30m', delayMs: 5_400_000 }],
    ['1s500ms', { type: 'delay', name: 'wait_1s500ms', delayMs: 1500 }],
  ] as const)('compiles delay(%j)', (duration, step) => {
    expect(base.delay(duration).compile().steps).toEqual([step])
  })

  it('uses a custom name when given one', () => {
    expect(base.delay('5m', { name: 'cool_down' }).compile().steps).toEqual([{ type: 'delay', name: 'cool_down', delayMs: 300_000 }])
  })

  it('accepts exactly 30 days', () => {
    expect(base.delay('30d').compile().steps).toEqual([{ type: 'delay', name: 'wait_30d', delayMs: 2_592_000_000 }])
  })
})

describe('when', () => {
  it.each([
    ['complete', 'complete'],
    ['skip', 'skip'],
    [2, 2],
  ] as const)('writes onFalse %j', (onFalse, expected) => {
    const spec = base.when(stillDown, { onFalse }).do(sendEmail).do(sendSlack).compile()
    expect(spec.steps).toEqual([
      { type: 'condition', name: 'service_still_down', onFalse: expected },
      { type: 'action', name: 'send_email' },
      { type: 'action', name: 'send_slack' },
    ])
  })

  it('leaves onFalse out when not given, so the stored default applies', () => {
    expect(base.when(stillDown).do(sendEmail).compile().steps[0]).toEqual({ type: 'condition', name: 'service_still_down' })
  })

  it('writes a timeout and step config', () => {
    expect(base.when(stillDown, { timeout: '10s', config: { probe: 'http' } }).compile().steps).toEqual([
      { type: 'condition', name: 'service_still_down', timeoutMs: 10_000, config: { probe: 'http' } },
    ])
  })

  it('compiles an inline condition', () => {
    const spec = base.when('is_prod', (ctx) => ctx.trigger.environment === 'production', { onFalse: 'skip' }).do(sendEmail).compile()
    expect(spec.steps).toEqual([
      { type: 'condition', name: 'is_prod', onFalse: 'skip' },
      { type: 'action', name: 'send_email' },
    ])
  })
})

describe('do', () => {
  it('writes retry policy, timeout and step config', () => {
    expect(base.do(sendEmail, { retry: { maxAttempts: 10, backoff: 100 }, timeout: 1, config: { template: 'down' } }).compile().steps).toEqual([
      {
        type: 'action',
        name: 'send_email',
        retryPolicy: { maxAttempts: 10, backoffMs: 100 },
        timeoutMs: 1,
        config: { template: 'down' },
      },
    ])
  })

  it('compiles an inline action with step options but without replaySafe, which belongs to the handler', () => {
    const spec = base.do('notify', () => ({ success: true }), { replaySafe: true, retry: { maxAttempts: 2, backoff: '1s' } }).compile()
    expect(spec.steps).toEqual([{ type: 'action', name: 'notify', retryPolicy: { maxAttempts: 2, backoffMs: 1000 } }])
  })
})

describe('parallel', () => {
  it('compiles branches holding delays, conditions, actions and a nested parallel', () => {
    const spec = base
      .parallel(
        'fan_out',
        (b) => b.delay('1s').when(stillDown, { onFalse: 'skip' }).do(sendEmail),
        (b) => b.when('inline_check', () => true).do('inline_do', () => undefined, { timeout: '2s' }),
        (b) => b.parallel('inner', (c) => c.do(sendSlack), (c) => c.delay(10, { name: 'tiny' })),
      )
      .compile()
    expect(spec.steps).toEqual([
      {
        type: 'parallel',
        name: 'fan_out',
        branches: [
          [
            { type: 'delay', name: 'wait_1s', delayMs: 1000 },
            { type: 'condition', name: 'service_still_down', onFalse: 'skip' },
            { type: 'action', name: 'send_email' },
          ],
          [
            { type: 'condition', name: 'inline_check' },
            { type: 'action', name: 'inline_do', timeoutMs: 2000 },
          ],
          [
            {
              type: 'parallel',
              name: 'inner',
              branches: [[{ type: 'action', name: 'send_slack' }], [{ type: 'delay', name: 'tiny', delayMs: 10 }]],
            },
          ],
        ],
      },
    ])
  })
})

describe('settings', () => {
  it('writes config set before .on()', () => {
    expect(workflow('wf').config({ severity: 'low', channels: ['a', 'b'] }).on(heartbeatMissed).do(sendEmail).compile().config).toEqual({
      severity: 'low',
      channels: ['a', 'b'],
    })
  })

  it('writes a cron expression without a time zone', () => {
    const spec = base.do(sendEmail).cron('*/5 * * * *').compile()
    expect(spec.cronExpression).toBe('*/5 * * * *')
    expect(spec).not.toHaveProperty('cronTimezone')
  })

  it('stores the workflow disabled with .disabled() or { enabled: false }', () => {
    expect(base.do(sendEmail).disabled().compile().isEnabled).toBe(false)
    expect(workflow('wf', { enabled: false }).on(heartbeatMissed).do(sendEmail).compile().isEnabled).toBe(false)
  })

  it('takes name and description from workflow() options', () => {
    const spec = workflow('wf', { name: 'Nice name', description: 'Why it exists' }).on(heartbeatMissed).do(sendEmail).compile()
    expect(spec).toMatchObject({ name: 'Nice name', description: 'Why it exists' })
  })

  it('copies config, so changing the object afterwards changes nothing', () => {
    const config = { severity: 'high' }
    const wf = base.config(config).do(sendEmail)
    config.severity = 'low'
    expect(wf.compile().config).toEqual({ severity: 'high' })
  })
})

describe('immutability', () => {
  it('branches a half-built chain into independent workflows', () => {
    const shared = workflow('wf').on(heartbeatMissed).delay('5m')
    const a = shared.do(sendEmail)
    const b = shared.do(sendSlack).disabled()
    expect(a.compile().steps).toEqual([
      { type: 'delay', name: 'wait_5m', delayMs: 300_000 },
      { type: 'action', name: 'send_email' },
    ])
    expect(b.compile().steps).toEqual([
      { type: 'delay', name: 'wait_5m', delayMs: 300_000 },
      { type: 'action', name: 'send_slack' },
    ])
    expect(a.compile().isEnabled).toBe(true)
    expect(shared.do(sendEmail).compile()).toEqual(a.compile())
  })

  it('lets a step name used in one branch of a chain be used in another', () => {
    const shared = base.delay('1s')
    expect(() => shared.do(sendEmail)).not.toThrow()
    expect(() => shared.do(sendEmail)).not.toThrow()
  })

  it('freezes builders and defs', () => {
    expect(Object.isFrozen(base)).toBe(true)
    expect(Object.isFrozen(sendEmail)).toBe(true)
    expect(Object.isFrozen(sendEmail.options)).toBe(true)
    expect(Object.isFrozen(heartbeatMissed)).toBe(true)
  })
})
