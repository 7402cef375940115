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
