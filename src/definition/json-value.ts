import type { ValidationIssue } from '../errors.js'

/** Limits a JSON value must respect before it is stored. */
export interface JsonLimits {
  /** Largest size of the value's JSON text, in UTF-8 bytes. */
  maxBytes: number
  /** Deepest nesting of objects and arrays (the value itself is level 1). */
  maxDepth: number
}

/** Object keys refused anywhere in stored JSON: they are how prototype pollution starts. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor'])

/** Nesting limit of every stored JSON value (payloads, outputs, configs). */
export const MAX_JSON_DEPTH = 64

// A high surrogate not followed by a low one, or a low one not preceded by a high one. Postgres
// refuses both in jsonb, and the pg driver would silently turn them into U+FFFD in text columns.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const MAX_ISSUES = 20

/**
 * Why a string cannot be stored in Postgres (jsonb or text), or undefined when it can:
 * a NUL character or a lone UTF-16 surrogate (text that is not valid Unicode).
 */
export function stringProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains the character U+0000, which Postgres cannot store; remove it'
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (not valid Unicode); encode binary data as base64'
  return undefined
}

/**
 * Checks that `value` is plain JSON the engine can store unchanged, and returns every problem
 * found (empty when it is fine). Pure: nothing is thrown and nothing is modified.
 *
 * Accepted: plain objects, arrays, strings, finite numbers, booleans, null, and objects with a
 * `toJSON()` method (a `Date` becomes its ISO string, as `JSON.stringify` does). An object
 * property whose value is `undefined` is dropped, as in JSON.
 *
 * Refused: functions, symbols, BigInt, `undefined` inside arrays, NaN and ±Infinity, Maps,
 * Sets and other class instances without `toJSON`, circular references, `__proto__` and
 * `constructor` keys, strings (and keys) with U+0000 or lone surrogates, nesting deeper than
 * `maxDepth` and JSON text larger than `maxBytes`.
 *
 * @example
 * ```ts
 * const issues = checkJsonValue(output, { maxBytes: 1024 * 1024, maxDepth: 64 })
 * if (issues.length > 0) throw new PulseValidationError('step output', issues)
 * ```
 */
export function checkJsonValue(value: unknown, limits: JsonLimits, path: (string | number)[] = []): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const ancestors = new Set<object>()
  let bytes = 0
  let tooLarge = false

  const add = (at: (string | number)[], message: string) => {
    if (issues.length < MAX_ISSUES) issues.push({ path: at, message })
  }

  const visit = (raw: unknown, at: (string | number)[], depth: number, inArray: boolean): void => {
    if (issues.length >= MAX_ISSUES || tooLarge) return
    let v = raw
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      try {
        v = (v as { toJSON(key: string): unknown }).toJSON(String(at[at.length - 1] ?? ''))
      } catch (err) {
        add(at, `toJSON() threw: ${err instanceof Error ? err.message : String(err)}`)
        return
      }
    }
    switch (typeof v) {
      case 'string': {
        const problem = stringProblem(v)
        if (problem) add(at, `string ${problem}`)
        bytes += Buffer.byteLength(JSON.stringify(v), 'utf8')
        break
      }
      case 'number':
        if (!Number.isFinite(v)) add(at, `${String(v)} is not a JSON number; use a finite number or null`)
        bytes += String(v).length
        break
      case 'boolean':
        bytes += v ? 4 : 5
        break
      case 'undefined':
        if (inArray || at.length === path.length) add(at, 'undefined is not a JSON value; use null')
        break
      case 'bigint':
        add(at, 'a BigInt is not a JSON value; store it as a string or a number')
        break
      case 'function':
        add(at, 'a function is not a JSON value')
        break
      case 'symbol':
        add(at, 'a symbol is not a JSON value')
        break
      case 'object': {
        if (v === null) {
          bytes += 4
          break
        }
        if (depth > limits.maxDepth) {
          add(at, `nested deeper than ${limits.maxDepth} levels`)
          return
        }
        if (ancestors.has(v)) {
          add(at, 'circular reference')
          return
        }
        const proto = Object.getPrototypeOf(v) as unknown
        if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
          const kind = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object'
          add(at, `a ${kind} is not a plain JSON object; convert it to an object, array or string first`)
          return
        }
        ancestors.add(v)
        if (Array.isArray(v)) {
          bytes += 2 + Math.max(0, v.length - 1)
          for (let i = 0; i < v.length; i++) visit(v[i], [...at, i], depth + 1, true)
        } else {
          bytes += 2
          let written = 0
          for (const key of Object.keys(v)) {
            const child = (v as Record<string, unknown>)[key]
            if (FORBIDDEN_KEYS.has(key)) {
              add([...at, key], `the key "${key}" is not allowed (it could change object prototypes); rename it`)
              continue
            }
            const problem = stringProblem(key)
            if (problem) add([...at, key], `key ${problem}`)
            if (child === undefined) continue
            bytes += Buffer.byteLength(JSON.stringify(key), 'utf8') + 1 + (written++ > 0 ? 1 : 0)
            visit(child, [...at, key], depth + 1, false)
          }
          // Own __proto__ keys (from JSON.parse) do not show up in Object.keys on every engine.
          if (Object.prototype.hasOwnProperty.call(v, '__proto__') && !Object.keys(v).includes('__proto__')) {
            add([...at, '__proto__'], 'the key "__proto__" is not allowed (it could change object prototypes); rename it')
          }
        }
        ancestors.delete(v)
        break
      }
    }
    if (bytes > limits.maxBytes) tooLarge = true
  }

  visit(value, path, 1, false)
  if (tooLarge) add(path, `larger than the limit of ${limits.maxBytes} bytes of JSON`)
  return issues
}

/**
 * The value as it will be stored: checked with {@link checkJsonValue}, then passed through JSON so
 * Dates become strings and undefined properties disappear. Returns the issues instead when there are any.
 */
export function toJsonValue<T>(value: T, limits: JsonLimits, path: (string | number)[] = []): { value: T; issues: [] } | { issues: ValidationIssue[] } {
  const issues = checkJsonValue(value, limits, path)
  if (issues.length > 0) return { issues }
  if (value === undefined) return { value, issues: [] }
  const text = JSON.stringify(value)
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    return { issues: [{ path, message: `larger than the limit of ${limits.maxBytes} bytes of JSON` }] }
  }
  return { value: JSON.parse(text) as T, issues: [] }
}
