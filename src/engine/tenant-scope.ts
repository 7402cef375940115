import { PulseValidationError } from '../errors.js'
import type { EmitResult, TriggerInput } from '../types.js'
import type { TenantEngine } from './engine.js'

/**
 * Builds the tenant-scoped engine from operations already bound to the tenant, adding the emit
 * whose tenant is fixed: a signal names this tenant or no tenant at all.
 */
export function scopeToTenant(
  tenantId: string,
  operations: Omit<TenantEngine, 'tenantId' | 'emit'>,
  emit: (input: TriggerInput) => Promise<EmitResult>,
): TenantEngine {
  const fixTenant = <T extends { tenantId?: string }>(input: T, what: string): T & { tenantId: string } => {
    if (typeof input !== 'object' || input === null) return input as T & { tenantId: string }
    if (input.tenantId !== undefined && input.tenantId !== tenantId) {
      throw new PulseValidationError(what, [
        { path: ['tenantId'], message: `this engine is scoped to tenant "${tenantId}"; leave tenantId out or pass "${tenantId}"` },
      ])
    }
    return { ...input, tenantId }
  }
  return {
    ...operations,
    tenantId,
    createWorkflow: async (input) => operations.createWorkflow(fixTenant(input, 'workflow definition')),
    sync: async (options) => operations.sync(fixTenant(options, 'sync')),
    emit(...args: unknown[]) {
      const [first, second] = args as [Record<string, unknown>, Record<string, unknown> | undefined]
      const typed = second !== undefined && first && first.kind === 'trigger'
      try {
        const input = typed ? { ...fixTenant(second, 'signal'), type: first.type, source: first.source } : fixTenant(first, 'signal')
        return emit(input as unknown as TriggerInput)
      } catch (err) {
        return Promise.reject(err)
      }
    },
  } as TenantEngine
}
