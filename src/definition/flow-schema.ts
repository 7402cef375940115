import { z } from 'zod'
import { LIMITS } from './limits.js'
import { matchPathProblem } from './match-path.js'
import type { ConcurrencyMode, FlowControl, MatchPath } from './types.js'

const limit = z
  .number({ error: 'limit must be a number' })
  .int({ error: 'limit must be a whole number' })
  .min(1, { error: `limit must be between 1 and ${LIMITS.maxFlowLimit}` })
  .max(LIMITS.maxFlowLimit, { error: `limit must be between 1 and ${LIMITS.maxFlowLimit}` })

const period = (what: string) =>
  z
    .number({ error: `${what} must be a number of milliseconds` })
    .int({ error: `${what} must be a whole number of milliseconds` })
    .positive({ error: `${what} must be greater than 0` })
    .max(LIMITS.maxFlowPeriodMs, { error: `${what} must be at most ${LIMITS.maxFlowPeriodMs} ms (30 days)` })

/** What a limit is counted by: one match path, read from each signal; the tenant is always part of it. */
const key = z.string({ error: 'key must be a path such as "resourceId" or "payload.accountId"' }).superRefine((path, ctx) => {
  const problem =
    path === 'tenantId'
      ? 'key "tenantId" is not needed: limits are always counted within the tenant; leave key out to count per tenant'
      : matchPathProblem(path)?.replace(/^match path/, 'key')
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: path })
}) as unknown as z.ZodType<MatchPath>

const mode = z.enum(['queue', 'skip', 'cancel-running'] satisfies ConcurrencyMode[], {
  error: 'mode must be "queue" (the run waits for a slot), "skip" (the signal starts no run) or "cancel-running" (the active run is canceled and the new one starts)',
})

const concurrency = z.strictObject(
  { limit, key: key.optional(), mode: mode.optional() },
  { error: 'concurrency must be an object such as { limit: 1, key: "resourceId" }' },
)

const throttle = z.strictObject(
  { limit, periodMs: period('periodMs'), key: key.optional() },
  { error: 'throttle must be an object such as { limit: 10, periodMs: 60000 }' },
)

const rateLimit = z.strictObject(
  { limit, periodMs: period('periodMs'), key: key.optional() },
  { error: 'rateLimit must be an object such as { limit: 10, periodMs: 60000 }' },
)

const debounce = z
  .strictObject(
    { waitMs: period('waitMs'), maxWaitMs: period('maxWaitMs').optional(), key: key.optional() },
    { error: 'debounce must be an object such as { waitMs: 5000, key: "resourceId" }' },
  )
  .refine((d) => d.maxWaitMs === undefined || d.maxWaitMs >= d.waitMs, {
    error: 'maxWaitMs is shorter than waitMs; it bounds the delay from the first signal, so make it at least waitMs or leave it out',
    path: ['maxWaitMs'],
    // Only once both are valid durations: a maxWaitMs of 0 is reported once, as out of range.
    when: (payload) => payload.issues.length === 0,
  })

const priority = z
  .number({ error: 'priority must be a number' })
  .int({ error: 'priority must be a whole number' })
  .min(LIMITS.minPriority, { error: `priority must be between ${LIMITS.minPriority} and ${LIMITS.maxPriority}` })
  .max(LIMITS.maxPriority, { error: `priority must be between ${LIMITS.minPriority} and ${LIMITS.maxPriority}` })

/** The schema of each setting in `flow`, for checking one at a time (the DSL does, per method). */
export const flowSettingSchemas = { concurrency, throttle, rateLimit, debounce, priority } as const

/**
 * Zod schema of a workflow's `flow`. An empty object limits nothing, as no object does; it is
 * stored as none, so both hash alike.
 */
export const flowSchema = z
  .strictObject(
    {
      concurrency: concurrency.optional(),
      throttle: throttle.optional(),
      rateLimit: rateLimit.optional(),
      debounce: debounce.optional(),
      priority: priority.optional(),
    },
    { error: 'flow must be an object such as { concurrency: { limit: 1 } }' },
  )
  .transform((flow): FlowControl | undefined => (Object.values(flow).some((v) => v !== undefined) ? (flow as FlowControl) : undefined))
