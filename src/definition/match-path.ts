import { LIMITS } from './limits.js'

/** The signal fields a match path may name besides `payload.<field>`. */
export const MATCH_FIELDS = ['resourceId', 'resourceType', 'environment'] as const

/** One field of a `payload.` path: `orderId`, `line_items`, `x-request-id`, `0`. */
const PAYLOAD_FIELD = /^[A-Za-z0-9_-]+$/

const EXPECTED = '"resourceId", "resourceType", "environment" or "payload.<field>"'

/**
 * What is wrong with a match path, or undefined when it is well formed: `'resourceId'`,
 * `'resourceType'`, `'environment'`, or `'payload.'` followed by one or more fields joined with
 * dots, each made of letters, digits, `_` and `-`. Only the form is checked; whether the field
 * exists in a payload is the DSL's business (compile time) or the data's (run time).
 *
 * @example
 * ```ts
 * matchPathProblem('payload.order.id') // undefined
 * matchPathProblem('payload.order id') // 'match path "payload.order id": the field "order id" may only use ...'
 * ```
 */
export function matchPathProblem(path: string): string | undefined {
  if (path.length === 0) return `match path is empty; use ${EXPECTED}`
  if (path.length > LIMITS.maxKeyLength) return `match path is longer than ${LIMITS.maxKeyLength} characters`
  if ((MATCH_FIELDS as readonly string[]).includes(path)) return undefined
  if (path === 'payload') return 'match path "payload" names no field; use "payload.<field>", e.g. "payload.orderId"'
  if (path.startsWith('payload.')) {
    for (const field of path.slice('payload.'.length).split('.')) {
      if (field.length === 0) return `match path "${path}" has an empty field; join fields with single dots, e.g. "payload.order.id"`
      if (!PAYLOAD_FIELD.test(field)) return `match path "${path}": the field "${field}" may only use letters, digits, "_" and "-"`
    }
    return undefined
  }
  if (path === 'tenantId') return 'match path "tenantId" is not needed: the tenant always matches; remove it'
  return `match path "${path}" is not one of ${EXPECTED}${hint(path)}`
}

function hint(path: string): string {
  const sameLetters = MATCH_FIELDS.find((field) => field.toLowerCase() === path.toLowerCase())
  if (sameLetters) return `; did you mean "${sameLetters}"?`
  if (/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(path)) return `; a payload field is written "payload.${path}"`
  return ''
}
