import { expect } from 'vitest'
import { PulseValidationError, type ValidationIssue } from '../../src/index.js'

/** Runs `fn`, asserts it threw a PulseValidationError, and returns its issues. */
export function issuesOf(fn: () => unknown): ValidationIssue[] {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(PulseValidationError)
    return (err as PulseValidationError).issues
  }
  throw new Error('expected a PulseValidationError, but nothing was thrown')
}

/** Asserts `fn` throws exactly one issue at `path` whose message contains `message`. */
export function expectIssue(fn: () => unknown, path: (string | number)[], message: string | RegExp): void {
  const issues = issuesOf(fn)
  expect(issues).toHaveLength(1)
  expect(issues[0].path).toEqual(path)
  expect(issues[0].message).toMatch(message)
}
