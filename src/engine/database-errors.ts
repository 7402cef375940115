import { PulseDatabaseUnavailableError, PulseError } from '../errors.js'

/** SQLSTATE classes and codes that mean the connection, not the statement, failed. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /terminating connection/i,
  /client has encountered a connection error/i,
  /timeout exceeded when trying to connect/i,
  /connection (?:was )?(?:closed|ended)/i,
  /cannot use a pool after calling end/i,
  /the database system is (?:starting up|shutting down|in recovery mode)/i,
]

/**
 * Whether an error from pg means Postgres could not be reached or dropped the connection, as
 * opposed to a statement the database refused.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err instanceof PulseError) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && (CONNECTION_ERRNOS.has(code) || CONNECTION_SQLSTATES.has(code) || code.startsWith('08'))) return true
  if (err instanceof AggregateError && err.errors.some((e) => isConnectionError(e))) return true
  if (CONNECTION_MESSAGES.some((re) => re.test(err.message))) return true
  const cause = (err as { cause?: unknown }).cause
  return cause !== undefined && cause !== err && isConnectionError(cause)
}

/** Calls `fn`; a connection failure becomes a {@link PulseDatabaseUnavailableError} naming `operation`. */
export async function withDatabase<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (isConnectionError(err)) throw new PulseDatabaseUnavailableError(operation, err)
    throw err
  }
}

/** Wraps every method of `methods` with {@link withDatabase}, naming the method in the error. */
export function guardDatabase<T extends object>(methods: T): T {
  const guarded: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(methods)) {
    guarded[name] =
      typeof fn === 'function' ? (...args: unknown[]) => withDatabase(`${name}()`, () => (fn as (...a: unknown[]) => Promise<unknown>)(...args)) : fn
  }
  return guarded as T
}
