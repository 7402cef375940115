/**
 * The tenants one request may see. `tenants` is null for every tenant; a filter can only narrow
 * it, never widen it.
 */
export class Viewer {
  constructor(readonly tenants: readonly string[] | null) {}

  allows(tenantId: string): boolean {
    return this.tenants === null || this.tenants.includes(tenantId)
  }

  /** The tenants a search covers when it asks for `tenant` (or for all it may see). */
  narrowed(tenant: string | undefined): readonly string[] | null {
    if (tenant === undefined) return this.tenants
    return this.allows(tenant) ? [tenant] : []
  }
}
