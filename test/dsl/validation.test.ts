import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { action, compile, condition, PulseValidationError, trigger, workflow, type AnyWorkflow } from '../../src/index.js'
import { expectIssue, issuesOf } from './expect-issues.js'

const t = trigger('thing.happened', { source: 'test' })
const a = action('a', () => undefined)
const b = action('b', () => undefined)
const c = condition('c', () => true)
const base = workflow('wf').on(t)

// Deliberately untyped calls: these paths are what JavaScript callers (or casts) can reach.
const loose = base as unknown as Record<string, (...args: unknown[]) => unknown>

describe('durations', () => {
  it('rejects a malformed delay string at the step path', () => {
    expectIssue(() => loose.delay('5 minutes'), ['steps', 0, 'delayMs'], /duration "5 minutes" is not valid/)
  })

  it('rejects units in the wrong order', () => {
    expectIssue(() => loose.delay('30m1h'), ['steps', 0, 'delayMs'], /largest first/)
  })

  it('rejects a zero delay', () => {
    expectIssue(() => base.delay(0), ['steps', 0, 'delayMs'], 'delayMs must be greater than 0')
  })

  it('rejects a delay longer than 30 days', () => {
    expectIssue(() => base.delay('31d'), ['steps', 0, 'delayMs'], 'delayMs must be at most 2592000000 ms')
    expectIssue(() => base.delay('30d1ms'), ['steps', 0, 'delayMs'], /at most/)
  })

  it('rejects a fractional or negative millisecond count', () => {
    expectIssue(() => base.delay(1.5), ['steps', 0, 'delayMs'], /whole, non-negative/)
    expectIssue(() => base.delay(-5), ['steps', 0, 'delayMs'], /whole, non-negative/)
  })

  it('rejects a zero or malformed timeout', () => {
    expectIssue(() => base.do(a, { timeout: 0 }), ['steps', 0, 'timeoutMs'], 'timeoutMs must be greater than 0')
    expectIssue(() => base.when(c, { timeout: '0s' }), ['steps', 0, 'timeoutMs'], 'timeoutMs must be greater than 0')
    expectIssue(() => loose.do(a, { timeout: 'soon' }), ['steps', 0, 'timeoutMs'], /timeout "soon" is not valid/)
    expectIssue(() => base.do(a, { timeout: '2d' }), ['steps', 0, 'timeoutMs'], 'timeoutMs must be at most 86400000 ms')
  })
})

describe('retry', () => {
  it.each([0, 11, 2.5])('rejects maxAttempts %j', (maxAttempts) => {
    expectIssue(() => base.do(a, { retry: { maxAttempts, backoff: '1s' } }), ['steps', 0, 'retryPolicy', 'maxAttempts'], /maxAttempts must be/)
  })

  it.each([99, '6m'] as const)('rejects backoff %j', (backoff) => {
    expectIssue(
      () => base.do(a, { retry: { maxAttempts: 3, backoff } }),
      ['steps', 0, 'retryPolicy', 'backoffMs'],
      'backoffMs must be between 100 and 300000 ms',
    )
  })

  it('rejects a malformed backoff string', () => {
    expectIssue(() => loose.do(a, { retry: { maxAttempts: 3, backoff: 'later' } }), ['steps', 0, 'retryPolicy', 'backoffMs'], /backoff "later"/)
  })

  it('rejects unknown step options', () => {
    expectIssue(() => loose.do(a, { retries: 3 }), ['steps', 0], /unknown option "retries"/)
  })
})

describe('step names', () => {
  it('rejects a duplicate action and points at the first use', () => {
    expectIssue(() => loose.do.call(base.do(a), a), ['steps', 1, 'name'], 'step name "a" is already used at steps[0].name')
  })

  it('rejects a delay whose default name is taken', () => {
    expectIssue(() => loose.delay.call(base.delay('5m'), '5m'), ['steps', 1, 'name'], /"wait_5m" is already used/)
    expectIssue(() => loose.delay.call(base.delay('5m'), 300_000), ['steps', 1, 'name'], /"wait_5m" is already used/)
  })

  it('rejects a branch step that reuses an outer name', () => {
    const withA = base.do(a) as unknown as Record<string, (...args: unknown[]) => unknown>
    expectIssue(
      () => withA.parallel('p', (x: typeof loose) => x.do(b), (x: typeof loose) => x.do(a)),
      ['steps', 1, 'branches', 1, 0, 'name'],
      'step name "a" is already used at steps[0].name',
    )
  })

  it('rejects the same step name in two sibling branches', () => {
    expectIssue(
      () => loose.parallel('p', (x: typeof loose) => x.do(a), (x: typeof loose) => x.do(a)),
      ['steps', 0, 'branches', 1, 0, 'name'],
      'step name "a" is already used at steps[0].branches[0][0].name',
    )
  })

  it('rejects a branch step named like its parallel step', () => {
    expectIssue(
      () => loose.parallel('p', (x: typeof loose) => x.delay('1s', { name: 'p' }), (x: typeof loose) => x.do(a)),
      ['steps', 0, 'branches', 0, 0, 'name'],
      /"p" is already used at steps\[0\].name/,
    )
  })

  it.each(['', '1abc', 'has space', '__proto__'])('rejects the inline step name %j', (name) => {
    const issues = issuesOf(() => loose.do(name, () => undefined))
    expect(issues[0].path).toEqual(['steps', 0, 'name'])
  })

  it('rejects a bad delay name', () => {
    expectIssue(() => loose.delay('1s', { name: 'bad name' }), ['steps', 0, 'name'], /step name may use letters/)
  })

  it('rejects a bad handler name when the def is made', () => {
    expectIssue(() => action('no spaces', () => undefined), ['name'], /may use letters/)
    expectIssue(() => condition('', () => true), ['name'], /name is empty/)
    expectIssue(() => t.action('x'.repeat(101), () => undefined), ['name'], 'name is longer than 100 characters')
  })

  it('rejects a handler that is not a function', () => {
    expectIssue(() => (action as (...args: unknown[]) => unknown)('x', 'nope'), ['handler'], 'handler must be a function')
  })
})

describe('parallel', () => {
  it('rejects fewer than two branches', () => {
    expectIssue(() => loose.parallel('p', (x: typeof loose) => x.do(a)), ['steps', 0, 'branches'], /between 2 and 32 branches; it has 1/)
  })

  it('rejects an empty branch', () => {
    expectIssue(
      () => loose.parallel('p', (x: typeof loose) => x, (x: typeof loose) => x.do(a)),
      ['steps', 0, 'branches', 0],
      /a branch needs at least one step/,
    )
  })

  it('rejects a branch function that does not return its builder', () => {
    expectIssue(() => loose.parallel('p', () => undefined, (x: typeof loose) => x.do(a)), ['steps', 0, 'branches', 0], /must return the builder/)
  })

  it('rejects nesting deeper than four parallel steps', () => {
    const leaf = (x: typeof loose) => x.do(action(`leaf_${Math.random().toString(36).slice(2)}`, () => undefined))
    const nest = (depth: number) => (x: typeof loose): unknown =>
      depth === 0 ? leaf(x) : x.parallel(`p${depth}_${Math.random().toString(36).slice(2)}`, nest(depth - 1), leaf)
    expect(() => nest(4)(loose)).not.toThrow()
    const issues = issuesOf(() => nest(5)(loose))
    expect(issues[0].message).toBe('parallel steps are nested more than 4 deep')
  })
})

describe('whole-workflow rules checked by compile()', () => {
  it('rejects onFalse that skips more steps than follow', () => {
    expectIssue(() => base.when(c, { onFalse: 2 }).do(a).compile(), ['steps', 0, 'onFalse'], /skips 2 steps but only 1 follow/)
  })

  it('rejects onFalse 0 when the step is added', () => {
    expectIssue(() => base.when(c, { onFalse: 0 }), ['steps', 0, 'onFalse'], 'onFalse as a number must be at least 1')
  })

  it('rejects compiling without a trigger', () => {
    const start = workflow('wf') as unknown as AnyWorkflow
    expectIssue(() => start.compile(), ['triggerType'], /call \.on\(trigger\) before compile\(\)/)
  })

  it('rejects compiling without steps', () => {
    expectIssue(() => (base as unknown as AnyWorkflow).compile(), ['steps'], 'a workflow needs at least one step')
  })

  it('rejects adding steps before .on()', () => {
    const start = workflow('wf') as unknown as typeof loose
    expectIssue(() => start.do(a), ['steps'], /call \.on\(trigger\) before adding steps/)
  })

  it('rejects a second .on()', () => {
    expectIssue(() => loose.on(t), ['triggerType'], /already called/)
  })

  it('rejects compile() of something that is not a workflow', () => {
    expect(() => compile({} as AnyWorkflow)).toThrow(PulseValidationError)
  })
})

describe('workflow settings', () => {
  it.each([
    ['', 'key is empty'],
    ['-leading-dash', 'key may use letters'],
    ['has space', 'key may use letters'],
    ['k'.repeat(129), 'key is longer than 128 characters'],
  ])('rejects the key %j', (key, message) => {
    expectIssue(() => workflow(key), ['key'], message)
  })

  it('rejects an empty display name or description', () => {
    expectIssue(() => base.name('   '), ['name'], 'name is empty')
    expectIssue(() => base.description(''), ['description'], 'description is empty')
    expectIssue(() => workflow('wf', { name: '' }), ['name'], 'name is empty')
  })

  it('rejects a bad cron expression', () => {
    expectIssue(() => base.cron('every day'), ['cronExpression'], /has 2 fields/)
    expectIssue(() => base.cron('61 * * * *'), ['cronExpression'], /is not valid/)
  })

  it('rejects an unknown cron time zone', () => {
    expectIssue(() => base.cron('0 2 * * *', { timezone: 'Mars/Olympus' }), ['cronTimezone'], /not an IANA zone/)
  })

  it('rejects empty trigger filters', () => {
    expectIssue(() => workflow('wf').on(t, { environment: '' }), ['environmentFilter'], /non-empty/)
    expectIssue(() => workflow('wf').on(t, { resourceType: '' }), ['resourceTypeFilter'], /non-empty/)
  })

  it('rejects a config that is not an object', () => {
    expectIssue(() => (base.config as (c: unknown) => unknown)([1]), ['config'], /plain object/)
  })
})

describe('trigger()', () => {
  it('rejects a malformed type', () => {
    expectIssue(() => trigger('bad type', { source: 's' }), ['type'], /may use letters/)
    expectIssue(() => trigger('', { source: 's' }), ['type'], /type is empty/)
  })

  it('requires a source', () => {
    expectIssue(() => trigger('x', { source: '' }), ['source'], /source is required/)
  })

  it('rejects a payload that is not a zod schema', () => {
    expectIssue(() => trigger('x', { source: 's', payload: {} as z.ZodObject }), ['payload'], /zod schema/)
  })

  it('rejects an empty resourceType', () => {
    expectIssue(() => trigger('x', { source: 's', resourceType: '' }), ['resourceType'], /non-empty/)
  })
})

describe('error messages', () => {
  it('names the workflow and lists the issue path', () => {
    try {
      base.delay(0)
      expect.unreachable()
    } catch (err) {
      expect((err as Error).message).toBe('workflow "wf" has 1 problem:\n  - steps[0].delayMs: delayMs must be greater than 0')
      expect((err as PulseValidationError).code).toBe('VALIDATION_FAILED')
    }
  })
})
