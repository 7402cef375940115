import type { ValidationIssue } from '../errors.js'
import type { JsonObject } from '../types.js'

/** The field names a payload path may use, as in wait `match` paths. */
const FIELD = /^[A-Za-z0-9_-]+$/

/**
 * Reads a payload search such as `payload.orderId = 42` or `payload.customer.email = "ada@example.com"`
 * into the object a matching payload contains: `{ orderId: 42 }`. The value is JSON when it
 * parses as JSON (42, true, "42"), a string otherwise. Returns an issue instead when the text is
 * not of that form.
 */
export function parsePayloadFilter(text: string): { value: JsonObject } | { issue: ValidationIssue } {
  const at = text.indexOf('=')
  const left = (at < 0 ? text : text.slice(0, at)).trim()
  const right = at < 0 ? '' : text.slice(at + 1).trim()
  const issue = (message: string) => ({ issue: { path: ['payload'], message } })
  if (at < 0 || right === '') return issue(`write the payload search as payload.<field> = <value>, e.g. payload.orderId = 42 (got ${JSON.stringify(text)})`)
  const fields = left.split('.')
  if (fields[0] !== 'payload' || fields.length < 2) return issue(`the search must start with "payload." and name a field, e.g. payload.orderId = 42 (got ${JSON.stringify(left)})`)
  const path = fields.slice(1)
  const bad = path.find((f) => !FIELD.test(f))
  if (bad !== undefined) return issue(`field ${JSON.stringify(bad)} of ${JSON.stringify(left)} may use only letters, digits, "_" and "-"`)
  let parsed: unknown
  try {
    parsed = JSON.parse(right)
  } catch {
    parsed = right
  }
  let value: unknown = parsed
  for (const field of [...path].reverse()) value = { [field]: value }
  return { value: value as JsonObject }
}
