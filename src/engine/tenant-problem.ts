import { stringProblem } from '../runtime/json-limits.js'

/** Why a tenant id cannot be used, or undefined when it can. */
export function tenantProblem(tenantId: unknown): string | undefined {
  if (typeof tenantId !== 'string' || tenantId.length === 0) return 'tenantId is required and must be a non-empty string'
  if (tenantId.length > 256) return 'tenantId is longer than 256 characters'
  const problem = stringProblem(tenantId)
  return problem ? `tenantId ${problem}` : undefined
}
