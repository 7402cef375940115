import { PulseValidationError, type ValidationIssue } from '../errors.js'
import type { StepQueue } from '../queue/index.js'
import type { PersistedSignal, Store } from '../store/index.js'
import type { EngineLogger, JsonObject, TriggerInput } from '../types.js'
import { jobFor, type LocalStart } from './executor.js'
import { DEFAULT_MAX_PAYLOAD_BYTES, MAX_JSON_DEPTH, stringProblem, toJsonValue } from './json-limits.js'
import type { Registry } from './registry.js'

export interface EmitDeps {
  store: Store
  queue: StepQueue
  registry: Registry
  logger: EngineLogger
  allowUnregisteredTriggers: boolean
  /** Largest payload accepted, in bytes of JSON. */
  maxPayloadBytes?: number
  /**
   * Whether this process can start the first steps itself right now: returns how long its claim
   * lasts and how to start a claimed step, or undefined to go through the queue.
   */
  local?: () => LocalStart | undefined
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

/**
 * Persists a signal, creates the runs it matches, and gets their first steps going: when this
 * process runs workers with room to spare, the first steps are created already claimed and start
 * here at once (no queue round trip); otherwise they are enqueued.
 */
export async function emitSignal(
  deps: EmitDeps,
  input: TriggerInput,
  options: { id?: string; onlyDefinitionId?: string } = {},
): Promise<PersistedSignal | null> {
  const signal = checkSignal(input, deps.registry, deps.allowUnregisteredTriggers, deps.maxPayloadBytes)
  const local = deps.local?.()
  let persisted: PersistedSignal | null
  try {
    persisted = await deps.store.signals.persistAndMatch(signal, { ...options, ...(local ? { claimFirstMs: local.leaseMs } : {}) })
  } finally {
    // The chains started below count themselves; the reservation only covered the statement.
    queueMicrotask(() => local?.release())
  }
  if (!persisted) return persisted
  const queued = persisted.firstSteps.filter((step) => step.status !== 'running')
  if (local) {
    for (const step of persisted.firstSteps) {
      const run = persisted.runs.find((r) => r.id === step.runId)
      if (step.status === 'running' && run) local.start({ step, run, trigger: persisted.trigger })
    }
  }
  if (queued.length > 0) {
    await deps.queue.enqueue(queued.map(jobFor), { fresh: true }).catch((err: unknown) => {
      // The runs are committed; the reconciler enqueues their first steps if this did not.
      deps.logger.warn({ err }, 'pulse-engine: could not enqueue first steps; the reconciler will pick them up')
    })
  }
  return persisted
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}
