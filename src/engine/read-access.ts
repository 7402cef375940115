import { PulseConfigError } from '../errors.js'
import type { PoolLike, Tables } from '../store/index.js'

/**
 * Read-only views of an engine's tables (the dashboard's searches) need its pool and table
 * names, which are no part of the public API. They ride on the engine object under a registered
 * symbol, so a separately bundled entry point (`pulse-engine/dashboard`) finds the same key.
 */
export const READ_ACCESS: unique symbol = Symbol.for('pulse-engine.read-access') as never

/** What an engine lends to read-only views of its tables. */
export interface ReadAccess {
  pool: PoolLike
  tables: Tables
  mode: 'redis' | 'postgres' | 'embedded'
}

/** Puts `access` on the engine object without making it enumerable (a spread or a log line does not carry it). */
export function lendReadAccess<T extends object>(engine: T, access: ReadAccess): T {
  Object.defineProperty(engine, READ_ACCESS, { value: access, enumerable: false })
  return engine
}

/** The read access of an engine made by createEngine; anything else is a configuration error. */
export function readAccessOf(engine: object): ReadAccess {
  const access = (engine as { [READ_ACCESS]?: ReadAccess })[READ_ACCESS]
  if (!access) {
    throw new PulseConfigError('the dashboard needs the engine createEngine() returned (not engine.forTenant(...) or a wrapper of it); pass that engine to dashboard()')
  }
  return access
}
