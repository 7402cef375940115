import { definitionHash, validateDefinition } from '../definition/index.js'
import { PulseValidationError, type ValidationIssue } from '../errors.js'
import type { Store } from '../store/index.js'
import type { JsonObject, WorkflowDefinition, WorkflowSpec } from '../types.js'

export interface SyncInput {
  tenantId: string
  /** Compiled workflows (`workflow(...).compile()` or validated JSON), keyed by `key`. */
  specs: WorkflowSpec[]
  /** Disable the tenant's keyed definitions whose key is not in `specs`. */
  prune?: boolean
  /** Compute the plan without writing anything. */
  dryRun?: boolean
  /** Per-workflow config overrides for this tenant, merged over each workflow's own config. */
  config?: Record<string, JsonObject>
  /**
   * Problems the caller finds in a validated spec that validation alone cannot see (signal types
   * this process never registered); any found stops the sync before anything is written.
   */
  check?: (spec: WorkflowSpec) => ValidationIssue[]
}

export interface SyncPlanEntry {
  key: string
  definitionId?: string
  /** Version after the sync (for `unchanged` and `disabled`, the current one). */
  version?: number
}

/** What a sync did (or, with `dryRun`, would do) for one tenant. */
export interface SyncPlan {
  tenantId: string
  dryRun: boolean
  created: SyncPlanEntry[]
  updated: SyncPlanEntry[]
  unchanged: SyncPlanEntry[]
  disabled: SyncPlanEntry[]
  /** The definitions as stored after the sync (empty for a dry run). */
  definitions: WorkflowDefinition[]
}

/**
 * Makes the tenant's stored definitions match the code: each spec is created, updated (new
 * version, when its content hash changed) or left alone; with `prune`, keys missing from the
 * code are disabled. Runs in one transaction under a per-tenant lock, so two syncs of the same
 * tenant at once produce one version per content.
 */
export async function syncTenant(store: Store, input: SyncInput): Promise<SyncPlan> {
  const specs = prepare(input)
  const plan: SyncPlan = { tenantId: input.tenantId, dryRun: input.dryRun === true, created: [], updated: [], unchanged: [], disabled: [], definitions: [] }

  const apply = async (tx: Store | Parameters<Parameters<Store['transaction']>[0]>[0], write: boolean) => {
    if (write) await tx.definitions.lockTenant(input.tenantId)
    const existing = new Map<string, WorkflowDefinition>()
    for (const def of await tx.definitions.listForTenant(input.tenantId, { lock: write })) {
      if (def.key) existing.set(def.key, def)
    }
    for (const spec of specs) {
      const { key, ...content } = spec
      const hash = definitionHash(content)
      const current = existing.get(key)
      if (!current) {
        const created = write ? await tx.definitions.insert({ ...content, key, tenantId: input.tenantId, hash }) : undefined
        plan.created.push({ key, definitionId: created?.id, version: 1 })
        if (created) plan.definitions.push(created)
      } else if (current.hash !== hash) {
        const updated = write ? await tx.definitions.update(current.id, { ...content, key, tenantId: input.tenantId, hash }) : undefined
        plan.updated.push({ key, definitionId: current.id, version: updated?.version ?? current.version + 1 })
        if (updated) plan.definitions.push(updated)
      } else if (current.isEnabled !== spec.isEnabled) {
        // Same content, but the code says enabled and the row is not (or the reverse): the code wins.
        const flipped = write ? await tx.definitions.setEnabled(current.id, spec.isEnabled) : undefined
        plan.updated.push({ key, definitionId: current.id, version: current.version })
        if (flipped) plan.definitions.push(flipped)
      } else {
        plan.unchanged.push({ key, definitionId: current.id, version: current.version })
        plan.definitions.push(current)
      }
      existing.delete(key)
    }
    if (input.prune) {
      for (const [key, def] of existing) {
        if (!def.isEnabled) continue
        const disabled = write ? await tx.definitions.setEnabled(def.id, false) : undefined
        plan.disabled.push({ key, definitionId: def.id, version: def.version })
        if (disabled) plan.definitions.push(disabled)
      }
    }
  }

  if (plan.dryRun) await apply(store, false)
  else await store.transaction((tx) => apply(tx, true))
  if (plan.dryRun) plan.definitions = []
  return plan
}

function prepare(input: SyncInput): WorkflowSpec[] {
  if (typeof input.tenantId !== 'string' || input.tenantId.length === 0) {
    throw new PulseValidationError('sync', [{ path: ['tenantId'], message: 'tenantId is required' }])
  }
  const seen = new Set<string>()
  const specs = input.specs.map((raw, i) => {
    const override = input.config?.[raw.key]
    const spec = validateDefinition(override ? { ...raw, config: { ...raw.config, ...override } } : raw)
    if (seen.has(spec.key)) {
      throw new PulseValidationError('sync', [{ path: ['workflows', i, 'key'], message: `two workflows have the key "${spec.key}"; keys must be unique per tenant` }])
    }
    seen.add(spec.key)
    return spec
  })
  const unknown = Object.keys(input.config ?? {}).filter((key) => !seen.has(key))
  if (unknown.length > 0) {
    throw new PulseValidationError('sync', unknown.map((key) => ({ path: ['config', key], message: `config override for "${key}", but no workflow with that key is being synced` })))
  }
  const found = input.check ? specs.flatMap((spec) => input.check!(spec).map((issue) => ({ ...issue, path: ['workflows', spec.key, ...issue.path] }))) : []
  if (found.length > 0) throw new PulseValidationError(`sync of tenant "${input.tenantId}"`, found)
  return specs
}
