import type { ResolvedConfig } from './config.js'

/**
 * A pg Pool emits 'error' when an idle client's connection dies (Postgres restarted, a backend
 * was terminated); a checked-out client emits 'error' on itself when its connection dies between
 * two statements of a transaction. With no listener, Node turns either into an uncaught
 * exception that ends the process. The pool is the application's, so the engine:
 * - adds a pool 'error' listener (logging a warning) only when the application has none;
 * - adds an 'error' listener to every client the pool connects from now on, because the
 *   engine's own transactions check clients out and a crash there would take the worker down.
 *   The failed query still rejects, and pg discards the broken client when it is released.
 */
export function watchPoolErrors(cfg: ResolvedConfig): void {
  if (cfg.mode.kind === 'embedded') return
  type Listener = (err: Error) => void
  type Emitter = { listenerCount?(event: string): number; on?(event: string, fn: (arg: never) => void): void }
  const pool = cfg.mode.db as unknown as Emitter & { [WATCHED]?: boolean }
  if (typeof pool.listenerCount !== 'function' || typeof pool.on !== 'function' || pool[WATCHED]) return
  pool[WATCHED] = true
  const log: Listener = (err) => cfg.logger.warn({ err }, 'pulse-engine: a Postgres connection of the pool failed; the pool replaces it')
  if (pool.listenerCount('error') === 0) pool.on('error', log as (arg: never) => void)
  pool.on('connect', ((client: Emitter) => client.on?.('error', log as (arg: never) => void)) as (arg: never) => void)
}

const WATCHED = Symbol.for('pulse-engine.pool-watched')
