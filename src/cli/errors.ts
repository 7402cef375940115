/** Exit codes of the `pulse` command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/**
 * The stable codes of errors under `--json` (see docs/cli.md). USAGE exits 2, the rest exit 1.
 * INTERNAL is anything the CLI did not foresee (a bug, or an error from a library it calls).
 */
export type CliErrorCode = 'USAGE' | 'CONFIG' | 'DATABASE' | 'NOT_FOUND' | 'VALIDATION' | 'RUN_STATE' | 'CONFLICT' | 'INTERNAL'

/**
 * The operation failed; the message says why and what to do. Exits 1. Without a `code`, one is
 * taken from the cause, or else CONFIG: most errors raised by the CLI itself are about the config.
 */
export class CliError extends Error {
  readonly code?: CliErrorCode

  constructor(message: string, options?: { cause?: unknown; code?: CliErrorCode }) {
    super(message, options)
    this.name = 'CliError'
    this.code = options?.code
  }
}

/** The command line itself was wrong (unknown command or flag, missing argument). Exits 2. */
export class CliUsageError extends Error {
  /** The command whose `--help` to point at, if known. */
  readonly command?: string

  constructor(message: string, command?: string) {
    super(message)
    this.name = 'CliUsageError'
    this.command = command
  }
}

/** Replaces the password of a connection URL with `***`, so error messages can show where we tried to connect. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    // Not a URL we can parse: mask anything that looks like user:password@.
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
  }
}

/**
 * The message to print for an error the CLI did not raise itself. Errors from the engine come
 * from whichever copy of pulse-engine the config loaded, so they are recognised by their `code`,
 * not with instanceof.
 */
export function describeError(err: unknown, context: { database?: string; tablePrefix?: string }): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as { code?: unknown }).code
  if (code === '42P01') {
    const where = context.database ? ` in ${maskUrl(context.database)}` : ''
    return `the engine's tables (prefix "${context.tablePrefix ?? 'pulse_'}") do not exist${where}; run "pulse migrate" (or "pulse sync") first`
  }
  return err.message
}
