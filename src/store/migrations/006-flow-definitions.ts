import type { Tables } from '../tables.js'

/**
 * Flow control settings of a definition (concurrency, throttle, rate limit, debounce, priority),
 * as the validated `flow` JSON; NULL when the definition sets none, so definitions stored before
 * this column existed read back unchanged.
 */
export function flowDefinitions(t: Tables): string {
  return `ALTER TABLE ${t.definitions} ADD COLUMN IF NOT EXISTS flow JSONB;`
}
