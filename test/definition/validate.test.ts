import { describe, expect, it } from 'vitest'
import { PulseValidationError, validateDefinition, type WorkflowSpec, type WorkflowStep } from '../../src/index.js'
import { expectIssue, issuesOf } from '../dsl/expect-issues.js'

const valid: WorkflowSpec = {
  key: 'incident-on-missed-heartbeat',
  name: 'Incident on missed heartbeat',
  description: 'Pages on-call',
  triggerType: 'heartbeat.missed',
  environmentFilter: 'production',
  resourceTypeFilter: 'service',
  steps: [
    { type: 'delay', name: 'wait_5m', delayMs: 300_000 },
    { type: 'condition', name: 'still_down', onFalse: 1, timeoutMs: 5000 },
    { type: 'action', name: 'create_incident', retryPolicy: { maxAttempts: 3, backoffMs: 5000 }, timeoutMs: 30_000, config: { a: 1 } },
    {
      type: 'parallel',
      name: 'notify_all',
      branches: [[{ type: 'action', name: 'send_email' }], [{ type: 'delay', name: 'pause', delayMs: 1 }, { type: 'action', name: 'send_slack' }]],
    },
  ],
  config: { severity: 'high' },
  cronExpression: '0 2 * * *',
  cronTimezone: 'Europe/Paris',
  isEnabled: true,
}

const withSteps = (steps: unknown[]) => ({ ...valid, steps, cronExpression: undefined, cronTimezone: undefined })
const withStep = (step: unknown) => withSteps([step])
const action = (name: string): WorkflowStep => ({ type: 'action', name })

describe('validateDefinition', () => {
  it('returns a valid spec unchanged, as a copy', () => {
    const out = validateDefinition(valid)
    expect(out).toEqual(valid)
    expect(out).not.toBe(valid)
    expect(validateDefinition(JSON.parse(JSON.stringify(out)))).toEqual(valid)
  })

  it('rejects an unknown step type', () => {
    const issues = issuesOf(() => validateDefinition(withStep({ type: 'webhook', name: 'x' })))
    expect(issues[0].path).toEqual(['steps', 0, 'type'])
    expect(issues[0].message).toMatch(/step type must be one of/)
  })

  it('rejects unknown fields on the spec and on steps', () => {
    expectIssue(() => validateDefinition({ ...valid, owner: 'me' }), [], 'unknown field "owner"; remove it')
    expectIssue(() => validateDefinition(withStep({ type: 'delay', name: 'x', delayMs: 1, retries: 2 })), ['steps', 0], /unknown field "retries"/)
  })

  it('rejects a delay of 0 and one longer than 30 days', () => {
    expectIssue(() => validateDefinition(withStep({ type: 'delay', name: 'x', delayMs: 0 })), ['steps', 0, 'delayMs'], 'delayMs must be greater than 0')
    expectIssue(
      () => validateDefinition(withStep({ type: 'delay', name: 'x', delayMs: 2_592_000_001 })),
      ['steps', 0, 'delayMs'],
      'delayMs must be at most 2592000000 ms',
    )
  })

  it('requires delayMs on a delay step', () => {
    expectIssue(() => validateDefinition(withStep({ type: 'delay', name: 'x' })), ['steps', 0, 'delayMs'], 'delayMs is required')
  })

  it('rejects a timeout of 0', () => {
    expectIssue(() => validateDefinition(withStep({ ...action('x'), timeoutMs: 0 })), ['steps', 0, 'timeoutMs'], 'timeoutMs must be greater than 0')
  })

  it.each([0, 11])('rejects maxAttempts %i', (maxAttempts) => {
    expectIssue(
      () => validateDefinition(withStep({ ...action('x'), retryPolicy: { maxAttempts, backoffMs: 1000 } })),
      ['steps', 0, 'retryPolicy', 'maxAttempts'],
      'maxAttempts must be between 1 and 10',
    )
  })

  it.each([99, 300_001])('rejects backoffMs %i', (backoffMs) => {
    expectIssue(
      () => validateDefinition(withStep({ ...action('x'), retryPolicy: { maxAttempts: 2, backoffMs } })),
      ['steps', 0, 'retryPolicy', 'backoffMs'],
      'backoffMs must be between 100 and 300000 ms',
    )
  })

  it('rejects duplicate step names, inside branches too', () => {
    expectIssue(() => validateDefinition(withSteps([action('a'), action('a')])), ['steps', 1, 'name'], /"a" is already used at steps\[0\]/)
    expectIssue(
      () => validateDefinition(withSteps([action('a'), { type: 'parallel', name: 'p', branches: [[action('b')], [action('a')]] }])),
      ['steps', 1, 'branches', 1, 0, 'name'],
      /"a" is already used at steps\[0\]/,
    )
  })

  it('rejects a parallel step with fewer than 2 branches or an empty branch', () => {
    expectIssue(
      () => validateDefinition(withStep({ type: 'parallel', name: 'p', branches: [[action('a')]] })),
      ['steps', 0, 'branches'],
      'a parallel step needs at least 2 branches',
    )
    expectIssue(
      () => validateDefinition(withStep({ type: 'parallel', name: 'p', branches: [[action('a')], []] })),
      ['steps', 0, 'branches', 1],
      'a branch needs at least one step',
    )
  })

  it('rejects onFalse that skips past the end', () => {
    expectIssue(
      () => validateDefinition(withSteps([{ type: 'condition', name: 'c', onFalse: 2 }, action('a')])),
      ['steps', 0, 'onFalse'],
      /skips 2 steps but only 1 follow/,
    )
  })

  it('rejects a malformed cron expression and a time zone without one', () => {
    expectIssue(() => validateDefinition({ ...valid, cronExpression: '* * *' }), ['cronExpression'], /has 3 fields/)
    expectIssue(() => validateDefinition({ ...valid, cronExpression: undefined }), ['cronTimezone'], /no cronExpression/)
  })

  it.each([
    ['', 'key is empty'],
    ['bad key', 'key may use letters'],
  ])('rejects the key %j', (key, message) => {
    const issues = issuesOf(() => validateDefinition({ ...valid, key }))
    expect(issues[0]).toEqual({ path: ['key'], message: expect.stringContaining(message) })
  })

  it.each(['', '9starts_with_digit', 'has space', '__proto__'])('rejects the step name %j', (name) => {
    const issues = issuesOf(() => validateDefinition(withStep(action(name))))
    expect(issues[0].path).toEqual(['steps', 0, 'name'])
  })

  it('rejects an empty step list', () => {
    expectIssue(() => validateDefinition(withSteps([])), ['steps'], 'a workflow needs at least one step')
  })

  it('lists every problem at once', () => {
    const issues = issuesOf(() => validateDefinition({ ...valid, key: '', isEnabled: 'yes' }))
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining([['key'], ['isEnabled']]))
  })

  it('throws PulseValidationError for input that is not an object', () => {
    expect(() => validateDefinition('nope')).toThrow(PulseValidationError)
  })
})

describe('validateDefinition: wait steps and cancelOn', () => {
  const wait = (fields: Record<string, unknown> = {}) => ({ type: 'wait_for_signal', name: 'await_payment', signalType: 'order.paid', timeoutMs: 60_000, ...fields })
  const waitAt = (fields: Record<string, unknown>) => () => validateDefinition(withStep(wait(fields)))
  const withCancelOn = (cancelOn: unknown) => ({ ...withSteps([action('a')]), cancelOn })

  it('stores signalType as a one-element signalTypes and a single match path as a list', () => {
    const out = validateDefinition(withStep(wait({ match: 'payload.orderId', onTimeout: 'fail', config: { a: 1 } })))
    expect(out.steps).toEqual([
      { type: 'wait_for_signal', name: 'await_payment', config: { a: 1 }, signalTypes: ['order.paid'], match: ['payload.orderId'], timeoutMs: 60_000, onTimeout: 'fail' },
    ])
    expect(out.steps[0]).not.toHaveProperty('signalType')
    // What is returned validates again to itself: the stored form is a valid input.
    expect(validateDefinition(out)).toEqual(out)
  })

  it('accepts several signal types, every match root, nested payload paths and no match at all', () => {
    const match = ['resourceId', 'resourceType', 'environment', 'payload.order.id', 'payload.line_items.0', 'payload.x-request-id']
    const out = validateDefinition(withStep(wait({ signalType: undefined, signalTypes: ['order.completed', 'order.error'], match })))
    expect(out.steps[0]).toMatchObject({ signalTypes: ['order.completed', 'order.error'], match })
    const bare = validateDefinition(withStep(wait()))
    expect(bare.steps[0]).toEqual({ type: 'wait_for_signal', name: 'await_payment', signalTypes: ['order.paid'], timeoutMs: 60_000 })
  })

  it('allows wait steps inside parallel branches', () => {
    const out = validateDefinition(withStep({ type: 'parallel', name: 'p', branches: [[wait()], [action('b')]] }))
    expect(out.steps[0]!.branches![0]![0]).toMatchObject({ type: 'wait_for_signal', signalTypes: ['order.paid'] })
  })

  it('requires exactly one of signalType and signalTypes', () => {
    expectIssue(waitAt({ signalType: undefined }), ['steps', 0, 'signalType'], /signalType is required: name the signal type to wait for/)
    expectIssue(waitAt({ signalTypes: ['order.failed'] }), ['steps', 0, 'signalTypes'], 'give signalType or signalTypes, not both; list every type in signalTypes')
  })

  it('reports a missing signal type next to the step\'s other problems', () => {
    const issues = issuesOf(waitAt({ signalType: undefined, timeoutMs: 'soon', extra: 1 }))
    expect(issues.map((i) => i.path.join('.')).sort()).toEqual(['steps.0', 'steps.0.signalType', 'steps.0.timeoutMs'])
  })

  it('rejects malformed, empty, duplicate and too many signal types', () => {
    expectIssue(waitAt({ signalType: 'order paid' }), ['steps', 0, 'signalType'], /signalType may use letters, digits/)
    expectIssue(waitAt({ signalType: undefined, signalTypes: [] }), ['steps', 0, 'signalTypes'], /signalTypes is empty/)
    expectIssue(waitAt({ signalType: undefined, signalTypes: ['a', 'b', 'a'] }), ['steps', 0, 'signalTypes', 2], 'signal type "a" is listed twice; list it once')
    expectIssue(waitAt({ signalType: undefined, signalTypes: ['ok', '-bad'] }), ['steps', 0, 'signalTypes', 1], /signal type may use letters/)
    const eleven = Array.from({ length: 11 }, (_, i) => `t${i}`)
    expectIssue(waitAt({ signalType: undefined, signalTypes: eleven }), ['steps', 0, 'signalTypes'], 'signalTypes may list at most 10 signal types')
  })

  it('rejects an empty match, a match that is neither a path nor a list, and more than 10 paths', () => {
    expectIssue(waitAt({ match: [] }), ['steps', 0, 'match'], /match is empty; list at least one path/)
    expectIssue(waitAt({ match: { resourceId: true } }), ['steps', 0, 'match'], 'match must be a path such as "payload.orderId" or a list of paths')
    const eleven = Array.from({ length: 11 }, (_, i) => `payload.f${i}`)
    expectIssue(waitAt({ match: eleven }), ['steps', 0, 'match'], 'match may list at most 10 paths')
  })

  it.each([
    ['', 'match path is empty; use "resourceId", "resourceType", "environment" or "payload.<field>"'],
    ['payload', 'match path "payload" names no field; use "payload.<field>", e.g. "payload.orderId"'],
    ['payload.', 'match path "payload." has an empty field; join fields with single dots'],
    ['payload.order..id', 'match path "payload.order..id" has an empty field'],
    ['payload.order id', 'match path "payload.order id": the field "order id" may only use letters, digits, "_" and "-"'],
    ['payload.a.$b', 'the field "$b" may only use letters, digits'],
    ['tenantId', 'the tenant always matches; remove it'],
    ['resourceid', 'is not one of "resourceId", "resourceType", "environment" or "payload.<field>"; did you mean "resourceId"?'],
    ['orderId', 'a payload field is written "payload.orderId"'],
    ['trigger.payload', 'a payload field is written "payload.trigger.payload"'],
    ['a'.repeat(129), 'match path is longer than 128 characters'],
  ])('rejects the match path %j, saying what is wrong', (path, message) => {
    expectIssue(waitAt({ match: [path] }), ['steps', 0, 'match', 0], message)
    // The same path given alone (not in a list) is reported at match itself.
    expectIssue(waitAt({ match: path }), ['steps', 0, 'match'], message)
  })

  it('rejects a match path that is not a string and one listed twice, at its index', () => {
    expectIssue(waitAt({ match: ['resourceId', 7] }), ['steps', 0, 'match', 1], 'match path must be a string such as "payload.orderId"')
    expectIssue(waitAt({ match: ['payload.id', 'resourceId', 'payload.id'] }), ['steps', 0, 'match', 2], 'match path "payload.id" is listed twice; list it once')
  })

  it('requires timeoutMs and rejects 0 and more than 30 days', () => {
    expectIssue(waitAt({ timeoutMs: undefined }), ['steps', 0, 'timeoutMs'], 'timeoutMs is required')
    expectIssue(waitAt({ timeoutMs: 0 }), ['steps', 0, 'timeoutMs'], 'timeoutMs must be greater than 0')
    expectIssue(waitAt({ timeoutMs: 2_592_000_001 }), ['steps', 0, 'timeoutMs'], 'timeoutMs must be at most 2592000000 ms')
    expectIssue(waitAt({ timeoutMs: 1.5 }), ['steps', 0, 'timeoutMs'], 'timeoutMs must be a whole number of milliseconds')
    expect(validateDefinition(withStep(wait({ timeoutMs: 2_592_000_000 }))).steps[0]!.timeoutMs).toBe(2_592_000_000)
  })

  it.each(['skip', 'CONTINUE', 1, null])('rejects onTimeout %j, listing the three values', (onTimeout) => {
    expectIssue(waitAt({ onTimeout }), ['steps', 0, 'onTimeout'], /onTimeout must be "continue" \(.*\), "fail" \(.*\) or "complete" \(.*\)/)
  })

  it('rejects unknown fields on a wait step, delayMs and retryPolicy included', () => {
    expectIssue(waitAt({ delayMs: 5 }), ['steps', 0], 'unknown field "delayMs"; remove it')
    expectIssue(waitAt({ retryPolicy: { maxAttempts: 2, backoffMs: 100 }, timeout: 5 }), ['steps', 0], 'unknown fields "retryPolicy", "timeout"; remove them')
  })

  it('names the path of a problem inside a parallel branch', () => {
    expectIssue(
      () => validateDefinition(withStep({ type: 'parallel', name: 'p', branches: [[action('a')], [action('b'), wait({ match: ['payload'] })]] })),
      ['steps', 0, 'branches', 1, 1, 'match', 0],
      /names no field/,
    )
  })

  it('lists wait_for_signal among the step types', () => {
    expectIssue(() => validateDefinition(withStep({ type: 'wait', name: 'x' })), ['steps', 0, 'type'], 'step type must be one of "action", "condition", "delay", "parallel" or "wait_for_signal"')
  })

  it('stores cancelOn entries with their match as a list, and drops an empty cancelOn', () => {
    const out = validateDefinition(withCancelOn([{ signalType: 'invoice.paid', match: 'resourceId' }, { signalType: 'account.closed', match: ['resourceId', 'payload.plan'] }]))
    expect(out.cancelOn).toEqual([
      { signalType: 'invoice.paid', match: ['resourceId'] },
      { signalType: 'account.closed', match: ['resourceId', 'payload.plan'] },
    ])
    expect(validateDefinition(withCancelOn([]))).not.toHaveProperty('cancelOn')
  })

  it('rejects malformed cancelOn entries, each at its path', () => {
    expectIssue(() => validateDefinition(withCancelOn({ signalType: 'x', match: 'resourceId' })), ['cancelOn'], 'cancelOn must be a list of { signalType, match } entries')
    expectIssue(() => validateDefinition(withCancelOn(['invoice.paid'])), ['cancelOn', 0], 'a cancelOn entry must be an object { signalType, match }')
    expectIssue(() => validateDefinition(withCancelOn([{ signalType: 'invoice.paid' }])), ['cancelOn', 0, 'match'], /match is required/)
    expectIssue(() => validateDefinition(withCancelOn([{ signalType: 'invoice.paid', match: [] }])), ['cancelOn', 0, 'match'], /match is empty/)
    expectIssue(() => validateDefinition(withCancelOn([{ match: ['resourceId'] }])), ['cancelOn', 0, 'signalType'], 'signalType is required')
    expectIssue(() => validateDefinition(withCancelOn([{ signalType: 'invoice paid', match: ['resourceId'] }])), ['cancelOn', 0, 'signalType'], /signalType may use letters/)
    expectIssue(
      () => validateDefinition(withCancelOn([{ signalType: 'invoice.paid', match: ['resourceId'] }, { signalType: 'x', match: ['resourceId', 'payload.a..b'] }])),
      ['cancelOn', 1, 'match', 1],
      /has an empty field/,
    )
    expectIssue(() => validateDefinition(withCancelOn([{ signalType: 'invoice.paid', match: ['resourceId'], matchAll: true }])), ['cancelOn', 0], 'unknown field "matchAll"; remove it')
  })

  it('rejects more than 10 cancelOn entries and an entry that repeats another', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => ({ signalType: `t${i}`, match: ['resourceId'] }))
    expectIssue(() => validateDefinition(withCancelOn(eleven)), ['cancelOn'], 'cancelOn may list at most 10 entries')
    expectIssue(
      () =>
        validateDefinition(
          withCancelOn([
            { signalType: 'invoice.paid', match: ['resourceId', 'environment'] },
            { signalType: 'invoice.paid', match: ['resourceId'] },
            { signalType: 'invoice.paid', match: ['environment', 'resourceId'] },
          ]),
        ),
      ['cancelOn', 2],
      'cancelOn[2] repeats cancelOn[0]; remove one of them',
    )
  })

  it('says a field of the wrong type is of the wrong type, not that it is missing', () => {
    expectIssue(() => validateDefinition({ ...valid, isEnabled: 'yes' }), ['isEnabled'], 'isEnabled must be true or false')
    expectIssue(() => validateDefinition({ ...valid, steps: 'none' }), ['steps'], 'steps must be a list')
  })
})
