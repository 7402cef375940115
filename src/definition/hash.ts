import { createHash } from 'node:crypto'
import type { WorkflowSpec } from './types.js'

/**
 * A content hash of everything that decides how a definition behaves. Sync compares it to tell
 * "unchanged" from "updated" without diffing JSON, so keys are sorted to make it independent of
 * property order.
 */
export function definitionHash(spec: Omit<WorkflowSpec, 'key'>): string {
  const content = {
    name: spec.name,
    description: spec.description ?? null,
    triggerType: spec.triggerType,
    environmentFilter: spec.environmentFilter ?? null,
    resourceTypeFilter: spec.resourceTypeFilter ?? null,
    steps: spec.steps,
    config: spec.config,
    cronExpression: spec.cronExpression ?? null,
    cronTimezone: spec.cronTimezone ?? null,
    // Left out when absent (canonicalJson drops undefined), so definitions stored before
    // cancelOn existed keep their hash and a sync after an upgrade stores no new versions.
    cancelOn: spec.cancelOn,
    // Likewise left out when absent.
    flow: spec.flow,
    isEnabled: spec.isEnabled,
  }
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 32)
}

/** JSON with object keys sorted at every depth, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
