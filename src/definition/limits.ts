/** Limits every stored definition respects; the DSL and validateDefinition enforce them. */
export const LIMITS = {
  maxDelayMs: 30 * 24 * 60 * 60 * 1000,
  maxTimeoutMs: 24 * 60 * 60 * 1000,
  minAttempts: 1,
  maxAttempts: 10,
  minBackoffMs: 100,
  maxBackoffMs: 300_000,
  minBranches: 2,
  maxBranches: 32,
  maxParallelDepth: 4,
  maxSteps: 200,
  maxNameLength: 100,
  maxKeyLength: 128,
  maxDisplayNameLength: 200,
  maxDescriptionLength: 2000,
  /** Signal types one wait step may wait for. */
  maxSignalTypes: 10,
  /** Paths in one wait's or cancelOn entry's `match`. */
  maxMatchPaths: 10,
  /** Entries in a workflow's `cancelOn`. */
  maxCancelOn: 10,
  /** A flow control `limit` (concurrency, throttle, rate limit). */
  maxFlowLimit: 100_000,
  /** A flow control period, debounce wait or max wait. */
  maxFlowPeriodMs: 30 * 24 * 60 * 60 * 1000,
  minPriority: 1,
  maxPriority: 10,
  /** The priority of a workflow that sets none. */
  defaultPriority: 5,
} as const

/** Workflow keys: `incident-on-missed-heartbeat`, `billing.trial_expiring`. */
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
/** Step (and handler) names: `wait_5m`, `create_incident`, `notify.slack`. */
export const STEP_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]*$/
/** Signal types: `heartbeat.missed`, `billing/trial:expiring`. */
export const TRIGGER_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/

/** Names that would collide with Object.prototype when used as context keys. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])
