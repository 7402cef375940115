import { CliError } from './errors.js'
import type { LoadedConfig } from './load-config.js'

/** The tenant ids the config lists (calling its function if it has one), or undefined when it lists none. */
export async function configTenants(loaded: LoadedConfig): Promise<string[] | undefined> {
  const { tenants } = loaded.config
  if (tenants === undefined) return undefined
  let ids: unknown
  try {
    ids = typeof tenants === 'function' ? await tenants() : tenants
  } catch (err) {
    throw new CliError(`the tenants function in ${loaded.name} failed: ${(err as Error).message}`, { cause: err })
  }
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id.length === 0)) {
    throw new CliError(`tenants in ${loaded.name} must be a list of non-empty tenant ids`)
  }
  return [...new Set(ids as string[])]
}

/**
 * Checks a `--tenant` against the config's tenants, so a typo fails loudly instead of matching
 * nothing. A config without tenants accepts any id.
 */
export async function checkTenant(loaded: LoadedConfig, tenantId: string): Promise<void> {
  const known = await configTenants(loaded)
  if (known && !known.includes(tenantId)) {
    const list = known.length > 10 ? `${known.slice(0, 10).join(', ')}, ...` : known.join(', ')
    throw new CliError(`tenant "${tenantId}" does not exist in ${loaded.name} (tenants: ${list || 'none'}); check the id or add it to tenants`, { code: 'NOT_FOUND' })
  }
}
