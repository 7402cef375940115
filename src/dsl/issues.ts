import type { z } from 'zod'
import { LIMITS, RESERVED_NAMES, STEP_NAME_PATTERN } from '../definition/limits.js'
import { PulseValidationError, type ValidationIssue } from '../errors.js'

/** A location inside the compiled spec, e.g. `['steps', 2, 'retryPolicy', 'backoffMs']`. */
export type IssuePath = readonly (string | number)[]

/** Throws when there is anything to report; builders collect every problem of one call first. */
export function throwIfAny(subject: string, issues: ValidationIssue[]): void {
  if (issues.length > 0) throw new PulseValidationError(subject, issues)
}

/** Zod issues re-rooted at `path`, so a step's problems point into the whole spec. */
export function zodIssuesAt(path: IssuePath, error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [...path, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: issue.message,
  }))
}

/**
 * Why `name` cannot name a handler, or `undefined`. The same rules as step names, because an
 * action or condition is referenced from the stored step JSON by its name.
 */
export function handlerNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'name must be a string'
  if (name.length === 0) return 'name is empty; give the handler a name such as "send_email"'
  if (name.length > LIMITS.maxNameLength) return `name is longer than ${LIMITS.maxNameLength} characters`
  if (!STEP_NAME_PATTERN.test(name)) {
    return `name "${name}" may use letters, digits, "_", ".", ":" and "-", and must start with a letter or "_"`
  }
  if (RESERVED_NAMES.has(name)) return `name "${name}" is reserved; pick another name`
  return undefined
}

/** Renders a path the way PulseValidationError messages do: `steps[3].branches[1][0]`. */
export function formatPath(path: IssuePath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
}
