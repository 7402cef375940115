import type { z } from 'zod'
import { PulseValidationError, type ValidationIssue } from '../errors.js'
import { cronProblem } from './cron.js'
import { checkJsonValue, MAX_JSON_DEPTH } from './json-value.js'
import { LIMITS } from './limits.js'
import { workflowSpecSchema } from './schema.js'
import type { WorkflowSpec, WorkflowStep } from './types.js'

/** Largest workflow definition, as JSON text. */
export const MAX_DEFINITION_BYTES = 1024 * 1024

export interface ValidateOptions {
  /** Accept a spec without `key` (workflows made with createWorkflow rather than code). */
  keyOptional?: boolean
}

/**
 * Checks untrusted workflow JSON against the definition contract and returns a clean copy.
 * Throws a {@link PulseValidationError} listing every problem, each with its path.
 *
 * @example
 * ```ts
 * const spec = validateDefinition(JSON.parse(body))
 * await engine.createWorkflow({ ...spec, tenantId: 'workspace_1' })
 * ```
 */
export function validateDefinition(json: unknown): WorkflowSpec {
  return validateSpec(json, {})
}

/** {@link validateDefinition} with options; used by the engine for createWorkflow. */
export function validateSpec(json: unknown, options: ValidateOptions): WorkflowSpec {
  // Functions, BigInt, cycles and the like would pass the schema's `config` records and fail, or
  // change silently, on the way into jsonb; refuse them here with their path.
  const jsonIssues = checkJsonValue(json, { maxBytes: MAX_DEFINITION_BYTES, maxDepth: MAX_JSON_DEPTH })
  if (jsonIssues.length > 0) throw new PulseValidationError(subjectOf(json), jsonIssues)
  const input = options.keyOptional && isRecord(json) && json.key === undefined ? { ...json, key: 'unkeyed' } : json
  // reportInput: toIssues tells a missing field from one of the wrong type by the issue's input.
  const parsed = workflowSpecSchema.safeParse(input, { reportInput: true })
  if (!parsed.success) {
    throw new PulseValidationError(subjectOf(json), toIssues(parsed.error))
  }
  const spec = parsed.data as WorkflowSpec
  const issues = crossStepIssues(spec)
  if (issues.length > 0) throw new PulseValidationError(subjectOf(json), issues)
  // A JSON round trip, not structuredClone: what is returned is exactly what will be stored
  // (a Date in config becomes its ISO string, as documented).
  const clean = JSON.parse(JSON.stringify(spec)) as WorkflowSpec
  if (options.keyOptional && isRecord(json) && json.key === undefined) {
    delete (clean as Partial<WorkflowSpec>).key
  }
  return clean
}

function crossStepIssues(spec: WorkflowSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const seen = new Map<string, (string | number)[]>()
  let total = 0

  const walk = (steps: WorkflowStep[], path: (string | number)[], depth: number): void => {
    steps.forEach((step, index) => {
      const at = [...path, index]
      total += 1
      const first = seen.get(step.name)
      if (first) {
        issues.push({
          path: [...at, 'name'],
          message: `step name "${step.name}" is already used at ${formatPath(first)}; step names must be unique in a workflow, branches included`,
        })
      } else {
        seen.set(step.name, at)
      }
      if (typeof step.onFalse === 'number') {
        const left = steps.length - index - 1
        if (step.onFalse > left) {
          issues.push({
            path: [...at, 'onFalse'],
            message: `onFalse skips ${step.onFalse} steps but only ${left} follow this condition; use a number up to ${left} or "complete"`,
          })
        }
      }
      if (step.type === 'parallel' && step.branches) {
        if (depth >= LIMITS.maxParallelDepth) {
          issues.push({
            path: [...at, 'branches'],
            message: `parallel steps are nested more than ${LIMITS.maxParallelDepth} deep`,
          })
          return
        }
        step.branches.forEach((branch, b) => walk(branch, [...at, 'branches', b], depth + 1))
      }
    })
  }
  walk(spec.steps, ['steps'], 0)

  if (total > LIMITS.maxSteps) {
    issues.push({ path: ['steps'], message: `a workflow may have at most ${LIMITS.maxSteps} steps, branches included; it has ${total}` })
  }
  spec.cancelOn?.forEach((entry, i) => {
    const first = spec.cancelOn!.findIndex((e) => e.signalType === entry.signalType && sameMembers(e.match, entry.match))
    if (first < i) issues.push({ path: ['cancelOn', i], message: `cancelOn[${i}] repeats cancelOn[${first}]; remove one of them` })
  })
  if (spec.cronExpression !== undefined) {
    const problem = cronProblem(spec.cronExpression, spec.cronTimezone)
    if (problem) issues.push({ path: ['cronExpression'], message: problem })
  } else if (spec.cronTimezone !== undefined) {
    issues.push({ path: ['cronTimezone'], message: 'cronTimezone is set but there is no cronExpression' })
  }
  return issues
}

function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ')
      return { path, message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}; remove ${issue.keys.length > 1 ? 'them' : 'it'}` }
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      const field = path[path.length - 1]
      return { path, message: `${typeof field === 'string' ? field : 'value'} is required` }
    }
    return { path, message: issue.message }
  })
}

function subjectOf(json: unknown): string {
  if (isRecord(json) && typeof json.key === 'string' && json.key.length > 0) return `workflow "${json.key}"`
  if (isRecord(json) && typeof json.name === 'string' && json.name.length > 0) return `workflow "${json.name}"`
  return 'workflow definition'
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
