/**
 * Every error pulse-engine throws on purpose is a {@link PulseError}: it has a stable `code`
 * you can branch on and a message that says what was wrong and what to do about it.
 */
export class PulseError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PulseError'
    this.code = code
  }
}

/** One problem found in a piece of input: where it is and what is wrong with it. */
export interface ValidationIssue {
  /** Location of the problem inside the input, e.g. `['steps', 2, 'delayMs']`. */
  path: (string | number)[]
  message: string
}

/**
 * Input was rejected before anything was written: a workflow definition, a signal payload, an
 * engine option. `issues` lists every problem found, not only the first.
 *
 * @example
 * ```ts
 * try {
 *   validateDefinition(json)
 * } catch (err) {
 *   if (err instanceof PulseValidationError) console.error(err.issues)
 * }
 * ```
 */
export class PulseValidationError extends PulseError {
  readonly issues: ValidationIssue[]

  constructor(subject: string, issues: ValidationIssue[], options?: { cause?: unknown }) {
    super('VALIDATION_FAILED', formatIssues(subject, issues), options)
    this.name = 'PulseValidationError'
    this.issues = issues
  }
}

/** A lookup by id found nothing (or found a row that belongs to another tenant). */
export class PulseNotFoundError extends PulseError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} "${id}" does not exist`)
    this.name = 'PulseNotFoundError'
  }
}

/**
 * An operation asked for a state change the run's state machine does not allow, such as
 * retrying a run that has not failed or canceling one that already completed.
 */
export class PulseStateError extends PulseError {
  constructor(message: string) {
    super('INVALID_STATE', message)
    this.name = 'PulseStateError'
  }
}

/** The engine was configured or used in a way it cannot work with. */
export class PulseConfigError extends PulseError {
  constructor(message: string) {
    super('INVALID_CONFIG', message)
    this.name = 'PulseConfigError'
  }
}

/**
 * A request collides with something already stored (code `IDEMPOTENCY_KEY_REUSED`): an
 * idempotency key that an earlier emit of the same tenant used, within the engine's
 * `idempotencyWindowMs`, for a different signal (another type, source, resource, environment or
 * payload). Nothing was written. `triggerId` is the signal the key belongs to.
 *
 * @example
 * ```ts
 * try {
 *   await engine.emit(invoicePaid, { tenantId, payload, idempotencyKey: req.headers['idempotency-key'] })
 * } catch (err) {
 *   if (err instanceof PulseConflictError && err.code === 'IDEMPOTENCY_KEY_REUSED') res.status(409).send(err.message)
 * }
 * ```
 */
export class PulseConflictError extends PulseError {
  declare readonly code: 'IDEMPOTENCY_KEY_REUSED'
  /** The stored signal the key already belongs to. */
  readonly triggerId: string

  constructor(code: 'IDEMPOTENCY_KEY_REUSED', message: string, details: { triggerId: string }) {
    super(code, message)
    this.name = 'PulseConflictError'
    this.triggerId = details.triggerId
  }
}

/**
 * Postgres could not be reached, or dropped the connection, while an engine method ran (code
 * `DATABASE_UNAVAILABLE`). Nothing was applied unless Postgres committed just before the
 * connection broke; retry once the database is back.
 */
export class PulseDatabaseUnavailableError extends PulseError {
  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(
      'DATABASE_UNAVAILABLE',
      `${operation} failed because Postgres could not be reached (${reason}); the operation was not applied unless Postgres had already committed it when the connection broke. Retry once the database is back.`,
      { cause },
    )
    this.name = 'PulseDatabaseUnavailableError'
  }
}

/**
 * The embedded data folder cannot be used: it is damaged (`EMBEDDED_DAMAGED`), it is not a
 * database (`EMBEDDED_NOT_A_DATABASE`), or the process that owns it never serves it
 * (`EMBEDDED_BUSY`). The message names the folder and how to recover.
 *
 * @example
 * ```ts
 * try {
 *   await engine.start()
 * } catch (err) {
 *   if (err instanceof PulseEmbeddedError && err.code === 'EMBEDDED_DAMAGED') console.error(err.message)
 * }
 * ```
 */
export class PulseEmbeddedError extends PulseError {
  constructor(code: 'EMBEDDED_DAMAGED' | 'EMBEDDED_NOT_A_DATABASE' | 'EMBEDDED_BUSY', message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'PulseEmbeddedError'
  }
}

function formatIssues(subject: string, issues: ValidationIssue[]): string {
  const lines = issues.map((issue) => {
    const where = issue.path.length > 0 ? formatPath(issue.path) : '(root)'
    return `  - ${where}: ${issue.message}`
  })
  const noun = issues.length === 1 ? 'problem' : 'problems'
  return `${subject} has ${issues.length} ${noun}:\n${lines.join('\n')}`
}

function formatPath(path: (string | number)[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('')
}
