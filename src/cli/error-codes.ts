import { CliError, CliUsageError, type CliErrorCode } from './errors.js'

/** The engine's PulseError codes, as the CLI reports them. */
const ENGINE_CODES: Record<string, CliErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  VALIDATION_FAILED: 'VALIDATION',
  INVALID_STATE: 'RUN_STATE',
  INVALID_CONFIG: 'CONFIG',
  DATABASE_UNAVAILABLE: 'DATABASE',
  SCHEMA_TOO_NEW: 'DATABASE',
  CONFLICT: 'CONFLICT',
  IDEMPOTENCY_KEY_REUSED: 'CONFLICT',
  IDEMPOTENCY_KEY_BUSY: 'CONFLICT',
}

/** Node's network errors: the database or Redis could not be reached. */
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])

/**
 * The stable code of an error for `--json`. Errors from the engine come from whichever copy of
 * pulse-engine the config loaded, so they are recognised by their `code`, not with instanceof.
 */
export function errorCode(err: unknown): CliErrorCode {
  if (err instanceof CliUsageError) return 'USAGE'
  if (err instanceof CliError) {
    if (err.code) return err.code
    const fromCause = err.cause !== undefined && err.cause !== err ? errorCode(err.cause) : 'INTERNAL'
    return fromCause === 'INTERNAL' ? 'CONFIG' : fromCause
  }
  if (!(err instanceof Error)) return 'INTERNAL'
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    if (ENGINE_CODES[code]) return ENGINE_CODES[code]
    if (NETWORK_ERRNOS.has(code)) return 'DATABASE'
    // A Postgres SQLSTATE: five digits and capitals, e.g. 42P01 (table missing).
    if (/^[0-9A-Z]{5}$/.test(code)) return 'DATABASE'
  }
  if (err instanceof AggregateError && err.errors.some((e) => errorCode(e) === 'DATABASE')) return 'DATABASE'
  return 'INTERNAL'
}
