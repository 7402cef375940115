import type { MatchPath, TriggerEnvelope } from '../types.js'

/**
 * The value a signal has at a match path, as JSON (null where it has none): what a wait or a
 * cancel-on compares between the run's trigger and a later signal. The store reads the same
 * paths in SQL (see src/store/waits.ts).
 */
export function valueAt(signal: Pick<TriggerEnvelope, 'resourceId' | 'resourceType' | 'environment' | 'payload'>, path: MatchPath): unknown {
  if (path === 'resourceId') return signal.resourceId ?? null
  if (path === 'resourceType') return signal.resourceType ?? null
  if (path === 'environment') return signal.environment ?? null
  let value: unknown = signal.payload
  for (const field of path.slice('payload.'.length).split('.')) {
    value = Array.isArray(value) ? elementAt(value, field) : isObject(value) && Object.hasOwn(value, field) ? value[field] : undefined
    if (value === undefined || value === null) return null
  }
  return value
}

/** An array element as Postgres' `#>` reads one: a whole number, negative from the end. */
function elementAt(array: unknown[], field: string): unknown {
  if (!/^-?\d+$/.test(field)) return undefined
  const index = Number(field)
  return array[index < 0 ? array.length + index : index]
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The run's trigger's value at each match path, keyed by path. */
export function matchValues(trigger: TriggerEnvelope, paths: readonly MatchPath[]): Record<string, unknown> {
  return Object.fromEntries(paths.map((path) => [path, valueAt(trigger, path)]))
}
