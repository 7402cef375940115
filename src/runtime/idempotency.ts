import { createHash } from 'node:crypto'
import { canonicalJson } from '../definition/index.js'
import { PulseConflictError, type ValidationIssue } from '../errors.js'
import type { EarlierSignal, NewSignal } from '../store/index.js'
import { stringProblem } from './json-limits.js'

/** Longest idempotency key an emit accepts. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200

/**
 * What an emit does when its key already holds a different signal: `'conflict'` refuses it (keys
 * the caller chose); `'first'` returns the first signal (keys derived for `ctx.emit`, whose
 * re-executions may compute their payload anew).
 */
export type KeyReuse = 'conflict' | 'first'

/** The problem with an `idempotencyKey` given to emit, or undefined when it is fine or absent. */
export function idempotencyKeyIssue(key: unknown): ValidationIssue | undefined {
  if (key === undefined) return undefined
  const path = ['idempotencyKey']
  if (typeof key !== 'string' || key.length === 0) return { path, message: 'idempotencyKey must be a non-empty string when given' }
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return { path, message: `idempotencyKey is ${key.length} characters long; use at most ${MAX_IDEMPOTENCY_KEY_LENGTH} (hash a longer one, e.g. with SHA-256)` }
  }
  const problem = stringProblem(key)
  return problem ? { path, message: `idempotencyKey ${problem}` } : undefined
}

/**
 * A hash of the signal as it is stored (after the schema parsed its payload), over everything a
 * repeat must agree on. The tenant is left out: keys are per tenant already.
 */
export function signalHash(signal: NewSignal): string {
  const content = {
    type: signal.type,
    source: signal.source,
    resourceType: signal.resourceType ?? null,
    resourceId: signal.resourceId ?? null,
    environment: signal.environment ?? null,
    payload: signal.payload,
  }
  return createHash('sha256').update(canonicalJson(content)).digest('hex')
}

/** Keys that start with this are derived by the engine for `ctx.emit`; callers may not use them. */
export const DERIVED_KEY_PREFIX = 'pulse:'

/**
 * The key of a handler's n-th `ctx.emit` (from 1) of one signal type in one execution of a step:
 * the same in every execution of that step of that run, and in no other run or step. Counting
 * per type keeps calls of different types apart even when their order varies between executions.
 */
export function derivedEmitKey(runId: string, stepPath: readonly number[], type: string, call: number): string {
  // Long types are hashed so the key stays within MAX_IDEMPOTENCY_KEY_LENGTH.
  const name = type.length <= 64 ? type : createHash('sha256').update(type).digest('hex').slice(0, 16)
  return `${DERIVED_KEY_PREFIX}${runId}:${stepPath.join('.')}:${name}:${call}`
}

/** The hashes a repeat is recognised by: of the signal as stored, and as it was sent. */
export interface SignalHashes {
  requestHash: string
  inputHash: string
}

/**
 * Whether a signal repeats the one stored under its key: the same as stored, or the same as sent
 * (a schema default computed per call, such as a timestamp, differs only in the stored form).
 */
export function isRepeat(earlier: EarlierSignal, hashes: SignalHashes): boolean {
  return earlier.requestHash === hashes.requestHash || earlier.inputHash === hashes.inputHash
}

/**
 * Decides what a repeated key means: the earlier signal, or a PulseConflictError when the
 * signal differs and the key was the caller's own.
 */
export function reuseEarlier(earlier: EarlierSignal, key: string, hashes: SignalHashes, reuse: KeyReuse): EarlierSignal {
  if (isRepeat(earlier, hashes) || reuse === 'first') return earlier
  throw new PulseConflictError(
    'IDEMPOTENCY_KEY_REUSED',
    `idempotency key "${key}" of tenant "${earlier.trigger.tenantId}" was used for signal ${earlier.trigger.id} (${earlier.trigger.type}), which differs from this one in its type, source, resource, environment or payload; nothing was written. Send the same signal again to get the first one back, or use a new key for a new signal`,
    { triggerId: earlier.trigger.id },
  )
}
