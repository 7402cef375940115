import { flowSettingSchemas } from '../definition/flow-schema.js'
import type { ConcurrencyMode, FlowControl } from '../definition/types.js'
import type { ValidationIssue } from '../errors.js'
import type { ChainState } from './chain-state.js'
import { readDuration, type DurationInput } from './duration.js'
import { zodIssuesAt } from './issues.js'
import type { MalformedPath, MissingPath } from './signal-wait.js'
import type { DslTypeError } from './type-errors.js'

/** Options of `.concurrency(options)`. */
export interface ConcurrencyOptions<K> {
  /** Active runs allowed at once per key, 1 to 100,000. */
  limit: number
  /**
   * What the runs are counted by, within the tenant: `'resourceId'`, `'resourceType'`,
   * `'environment'` or `'payload.<field>'` of the trigger. The tenant alone when absent.
   */
  key?: K
  /**
   * When the key is at its limit: `'queue'` (default; the run waits and starts when a slot
   * frees), `'skip'` (the signal starts no run) or `'cancel-running'` (the active run is canceled
   * and the new one starts).
   */
  mode?: ConcurrencyMode
}

/** Options of `.throttle(options)` and `.rateLimit(options)`. */
export interface StartLimitOptions<K> {
  /** Run starts allowed per period per key, 1 to 100,000. */
  limit: number
  /** The period: a duration such as `'1m'` or milliseconds, up to 30 days. */
  per: DurationInput
  /** What the starts are counted by, within the tenant; as in `.concurrency()`. The tenant alone when absent. */
  key?: K
}

/** Options of `.debounce(options)`. */
export interface DebounceOptions<K> {
  /** The quiet period after the last signal: a duration such as `'5s'` or milliseconds, up to 30 days. */
  wait: DurationInput
  /** The longest delay from the first signal, at least `wait` and up to 30 days; unbounded when absent. */
  maxWait?: DurationInput
  /** What the signals are grouped by, within the tenant; as in `.concurrency()`. The tenant alone when absent. */
  key?: K
}

/**
 * Intersected with a flow `key` argument: `unknown` when the path is well formed and, for a
 * `payload.` path, a field of the trigger's payload; otherwise an error naming it. `never` (no
 * key given) passes.
 */
export type FlowKeyCheck<K, Payload> = [K] extends [never]
  ? unknown
  : [MalformedPath<K>] extends [never]
    ? [MissingPath<K, Payload>] extends [never]
      ? unknown
      : DslTypeError<`key "${MissingPath<K, Payload> & string}" is not a field of the workflow's trigger payload; count by a field it has`>
    : DslTypeError<`key "${MalformedPath<K> & string}" must be "resourceId", "resourceType", "environment" or "payload.<field>"`>

/** Intersected with a flow method's argument: an error once the workflow has a step. */
export type FlowPlace<S extends ChainState, M extends string> = S['hasSteps'] extends true
  ? DslTypeError<`${M}() belongs right after .on(), before the first step`>
  : unknown

/** Intersected with `.priority()`'s argument: an error for a literal outside 1 to 10. */
export type PriorityCheck<N extends number> = number extends N
  ? unknown
  : N extends 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10
    ? unknown
    : DslTypeError<'priority must be a whole number from 1 to 10'>

/** The settings of `flow`, each set by the DSL method of the same name. */
export type FlowSetting = keyof FlowControl

/** The options each method accepts, as plain JavaScript might pass them. */
const ACCEPTED: Record<Exclude<FlowSetting, 'priority'>, readonly string[]> = {
  concurrency: ['limit', 'key', 'mode'],
  throttle: ['limit', 'per', 'key'],
  rateLimit: ['limit', 'per', 'key'],
  debounce: ['wait', 'maxWait', 'key'],
}

/** DSL option -> JSON field, for the options that are durations. */
const DURATIONS: Record<string, string> = { per: 'periodMs', wait: 'waitMs', maxWait: 'maxWaitMs' }

/** JSON field -> DSL option, so messages name what the caller wrote. */
const DSL_NAMES: Record<string, string> = { periodMs: 'per', waitMs: 'wait', maxWaitMs: 'maxWait' }

const EXAMPLES: Record<FlowSetting, string> = {
  concurrency: '{ limit: 1, key: "resourceId" }',
  throttle: '{ limit: 10, per: "1m" }',
  rateLimit: '{ limit: 10, per: "1m" }',
  debounce: '{ wait: "5s", key: "resourceId" }',
  priority: '8',
}

/**
 * What a flow method's argument compiles to (the `flow.<setting>` JSON, durations in ms), with
 * the problems found, each at its path in the compiled spec (`flow.throttle.periodMs`). The
 * rules and messages are validateDefinition's, so the DSL refuses what sync would refuse.
 */
export function readFlowSetting(setting: FlowSetting, input: unknown): { value: unknown; issues: ValidationIssue[] } {
  const at = ['flow', setting]
  const issues: ValidationIssue[] = []
  let value: unknown = input
  if (setting !== 'priority') {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { value: undefined, issues: [{ path: at, message: `${setting}() takes options such as ${EXAMPLES[setting]}` }] }
    }
    const accepted = ACCEPTED[setting]
    const unknown = Object.keys(input).filter((key) => !accepted.includes(key))
    if (unknown.length > 0) {
      issues.push({
        path: at,
        message: `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; ${setting}() accepts ${accepted.map((k) => `"${k}"`).join(', ')}`,
      })
    }
    const json: Record<string, unknown> = {}
    for (const option of accepted) {
      const given = (input as Record<string, unknown>)[option]
      if (given === undefined) continue
      const field = DURATIONS[option]
      if (!field) {
        json[option] = given
        continue
      }
      const reading = readDuration(given)
      if (reading.ok) json[field] = reading.ms
      else issues.push({ path: [...at, field], message: reading.message.replace(/^duration/, option) })
    }
    for (const option of accepted) {
      const field = DURATIONS[option]
      if (field && option !== 'maxWait' && (input as Record<string, unknown>)[option] === undefined) {
        issues.push({ path: [...at, field], message: `${option} is required: a duration such as ${setting === 'debounce' ? '"5s"' : '"1m"'}` })
      }
    }
    value = json
  }
  // A field already reported (a duration that could not be read, one missing) is not reported again.
  const reported = new Set(issues.filter((issue) => issue.path.length > 2).map((issue) => issue.path[2]))
  const parsed = flowSettingSchemas[setting].safeParse(value)
  if (!parsed.success) {
    for (const issue of zodIssuesAt(at, parsed.error)) {
      if (reported.has(issue.path[2])) continue
      issues.push({ ...issue, message: issue.message.replace(/\b(periodMs|maxWaitMs|waitMs)\b/g, (field) => DSL_NAMES[field]!) })
    }
  }
  return { value, issues }
}
