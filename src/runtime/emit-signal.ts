import { PulseValidationError, type ValidationIssue } from '../errors.js'
import { sortRuns, type PersistedSignal } from '../store/index.js'
import type { EmitResult, JsonObject, SignalEffects, SkippedStartInfo, StartedRun, TriggerEnvelope, TriggerInput } from '../types.js'
import { DERIVED_KEY_PREFIX, idempotencyKeyIssue, isRepeat, reuseEarlier, signalHash, type KeyReuse } from './idempotency.js'
import { DEFAULT_MAX_PAYLOAD_BYTES, MAX_JSON_DEPTH, stringProblem, toJsonValue } from './json-limits.js'
import type { Registry } from './registry.js'
import { startRuns, type StartRunsDeps } from './start-runs.js'
import type { EmitSpan } from '../telemetry/index.js'

export interface EmitDeps extends StartRunsDeps {
  registry: Registry
  allowUnregisteredTriggers: boolean
  /** Largest payload accepted, in bytes of JSON. */
  maxPayloadBytes?: number
  /** How long an idempotency key holds, in ms (EngineConfig.idempotencyWindowMs). */
  idempotencyWindowMs: number
}

const TEXT_FIELDS = ['tenantId', 'source', 'type', 'resourceType', 'resourceId', 'environment'] as const

/**
 * Checks a signal before anything is written: required fields, a registered type (unless the
 * engine allows unregistered ones), the payload as storable JSON within `maxPayloadBytes` (Dates
 * become ISO strings; functions, BigInt, NaN, cycles, `__proto__` keys, NUL characters and lone
 * surrogates are refused) and then against the trigger's zod schema. Returns the signal with the
 * schema's parsed payload.
 */
export function checkSignal(
  input: TriggerInput,
  registry: Registry,
  allowUnregistered: boolean,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): Required<Pick<TriggerInput, 'tenantId' | 'source' | 'type'>> & TriggerInput & { payload: JsonObject } {
  const issues: ValidationIssue[] = []
  if (typeof input !== 'object' || input === null) {
    throw new PulseValidationError('signal', [{ path: [], message: 'emit() needs an object such as { tenantId, type, source, payload }' }])
  }
  const registration = typeof input.type === 'string' ? registry.triggers.get(input.type) : undefined
  const source = input.source ?? registration?.source
  // An unknown type is the cause to report first: a registered one would have supplied the source.
  const unregistered = typeof input.type === 'string' && input.type.length > 0 && !registration && !allowUnregistered
  if (unregistered) {
    issues.push({
      path: ['type'],
      message: `signal type "${input.type}" is not registered; register it with engine.registerTrigger("${input.type}", { source }) or engine.register(workflow), or create the engine with allowUnregisteredTriggers: true`,
    })
  }
  for (const field of TEXT_FIELDS) {
    const value = field === 'source' ? source : input[field]
    const required = field === 'tenantId' || field === 'type' || (field === 'source' && !unregistered)
    if (value === undefined && !required) continue
    if (typeof value !== 'string' || value.length === 0) {
      issues.push({ path: [field], message: required ? `${field} is required and must be a non-empty string` : `${field} must be a non-empty string when given` })
    } else if (value.length > 256) {
      issues.push({ path: [field], message: `${field} is longer than 256 characters` })
    } else {
      const problem = stringProblem(value)
      if (problem) issues.push({ path: [field], message: `${field} ${problem}` })
    }
  }
  const keyIssue = idempotencyKeyIssue(input.idempotencyKey)
  if (keyIssue) issues.push(keyIssue)
  if (input.priority !== undefined && !(Number.isInteger(input.priority) && input.priority >= 1 && input.priority <= 10)) {
    issues.push({ path: ['priority'], message: `priority must be a whole number from 1 to 10 (higher starts first), got ${JSON.stringify(input.priority)}` })
  }
  let payload: unknown = input.payload ?? {}
  const limits = { maxBytes: maxPayloadBytes, maxDepth: MAX_JSON_DEPTH }
  const asJson = toJsonValue(payload, limits, ['payload'])
  if (!isPlainObject(payload)) {
    issues.push({ path: ['payload'], message: 'payload must be a plain object' })
  } else if (asJson.issues.length > 0) {
    issues.push(...asJson.issues)
  } else if (registration?.payloadSchema && issues.length === 0) {
    const parsed = registration.payloadSchema.safeParse((asJson as { value: unknown }).value)
    if (parsed.success) {
      const stored = toJsonValue(parsed.data, limits, ['payload'])
      if (stored.issues.length > 0) issues.push(...stored.issues)
      else payload = (stored as { value: unknown }).value
    } else {
      for (const issue of parsed.error.issues) {
        issues.push({ path: ['payload', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: issue.message })
      }
    }
  } else {
    payload = (asJson as { value: unknown }).value
  }
  if (issues.length > 0) {
    const subject = typeof input.type === 'string' && input.type ? `signal "${input.type}"` : 'signal'
    throw new PulseValidationError(subject, issues)
  }
  return { ...input, source: source as string, payload: payload as JsonObject }
}

/** How `emitSignal` treats an idempotency key (see KeyReuse); emits of the application refuse a changed signal. */
export interface EmitOptions {
  keyReuse?: KeyReuse
  /** The trace context the emit belongs to (a step's, for `ctx.emit`); by default the caller's active one. */
  parent?: unknown
}

/**
 * Checks a signal, then starts its runs (see startRuns): when this process runs workers with
 * room to spare, the first steps start here at once; otherwise they are enqueued. With an
 * `idempotencyKey`, a key held within the window returns its earlier signal and writes nothing.
 */
export async function emitSignal(deps: EmitDeps, input: TriggerInput, options: EmitOptions = {}): Promise<EmitResult> {
  const subject = typeof input === 'object' && input !== null ? input : {}
  return deps.telemetry.emit(subject, options.parent, (span) => emitChecked(deps, input, options, span), emitSummary)
}

async function emitChecked(deps: EmitDeps, input: TriggerInput, options: EmitOptions, span: EmitSpan | undefined): Promise<EmitResult> {
  if (options.keyReuse !== 'first' && typeof input?.idempotencyKey === 'string' && input.idempotencyKey.startsWith(DERIVED_KEY_PREFIX)) {
    throw new PulseValidationError(`signal "${String(input.type)}"`, [
      { path: ['idempotencyKey'], message: `idempotencyKey may not start with "${DERIVED_KEY_PREFIX}": the engine derives such keys for ctx.emit; use another prefix` },
    ])
  }
  const { idempotencyKey, ...checked } = checkSignal(input, deps.registry, deps.allowUnregisteredTriggers, deps.maxPayloadBytes)
  span?.payload(checked.payload)
  const traceContext = span?.carrier
  if (idempotencyKey === undefined) {
    return persistedResult((await startRuns(deps, { kind: 'new', signal: checked, runHere: true, traceContext }))!)
  }
  const hashes = { requestHash: signalHash(checked), inputHash: signalHash({ ...checked, payload: (input.payload ?? {}) as JsonObject }) }
  const idempotency = { key: idempotencyKey, ...hashes, windowMs: deps.idempotencyWindowMs }
  const started = (await startRuns(deps, { kind: 'new', signal: checked, runHere: true, idempotency, traceContext }))!
  if (!('earlier' in started)) return persistedResult(started)
  const earlier = reuseEarlier(started.earlier, idempotencyKey, hashes, options.keyReuse ?? 'conflict')
  if (!isRepeat(earlier, hashes)) {
    deps.logger.warn(
      { idempotencyKey, triggerId: earlier.trigger.id },
      'pulse-engine: a re-executed step emitted a different signal than its first execution; the first one stands (give ctx.emit your own idempotencyKey when the order of its calls can vary)',
    )
  }
  return emitResult(earlier.trigger, earlier.runs, true)
}

const emitSummary = (result: EmitResult) => ({ signalId: result.id, runs: result.runs.length, deduplicated: result.deduplicated })

function emitResult(trigger: TriggerEnvelope, runs: StartedRun[], deduplicated: boolean, effects?: SignalEffects, skipped: SkippedStartInfo[] = []): EmitResult {
  return { ...trigger, runs: sortRuns(runs), skipped, deduplicated, resolvedWaits: effects?.resolvedWaits ?? [], canceledRuns: effects?.canceledRuns ?? [] }
}

/** The result of an emit that stored its signal: its runs (as flow control left them) and the starts it skipped. */
function persistedResult(persisted: PersistedSignal): EmitResult {
  const runs: StartedRun[] = []
  const skipped: SkippedStartInfo[] = []
  for (const run of persisted.runs) {
    const outcome = persisted.admission?.get(run.id)
    const entry: StartedRun = { runId: run.id, workflowKey: run.definitionSnapshot.key, definitionId: run.definitionId }
    if (outcome?.kind === 'skipped') {
      const { workflowKey, definitionId, reason, runId } = outcome.skip
      skipped.push({ workflowKey, definitionId, reason, ...(runId ? { runId } : {}) })
    } else if (outcome?.heldBy) {
      runs.push({ ...entry, heldBy: outcome.heldBy })
    } else {
      runs.push(entry)
    }
  }
  return emitResult(persisted.trigger, runs, false, persisted.effects, skipped)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}
