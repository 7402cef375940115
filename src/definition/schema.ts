import { z } from 'zod'
import { flowSchema } from './flow-schema.js'
import { KEY_PATTERN, LIMITS, RESERVED_NAMES, STEP_NAME_PATTERN, TRIGGER_TYPE_PATTERN } from './limits.js'
import { matchPathProblem } from './match-path.js'
import type { CancelOn, MatchPath, OnTimeout, WorkflowStep } from './types.js'

const stepName = z
  .string({ error: 'step name must be a string' })
  .min(1, { error: 'step name is empty; give every step a name such as "send_email"' })
  .max(LIMITS.maxNameLength, { error: `step name is longer than ${LIMITS.maxNameLength} characters` })
  .regex(STEP_NAME_PATTERN, {
    error: 'step name may use letters, digits, "_", ".", ":" and "-", and must start with a letter or "_"',
  })
  .refine((name) => !RESERVED_NAMES.has(name), { error: 'step name is reserved; pick another name' })

const jsonObject = z.record(z.string(), z.unknown(), { error: 'expected a plain object' })

const positiveMs = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a number of milliseconds` })
    .int({ error: `${what} must be a whole number of milliseconds` })
    .positive({ error: `${what} must be greater than 0` })
    .max(max, { error: `${what} must be at most ${max} ms` })

const retryPolicy = z.strictObject({
  maxAttempts: z
    .number({ error: 'maxAttempts must be a number' })
    .int({ error: 'maxAttempts must be a whole number' })
    .min(LIMITS.minAttempts, { error: `maxAttempts must be between ${LIMITS.minAttempts} and ${LIMITS.maxAttempts}` })
    .max(LIMITS.maxAttempts, { error: `maxAttempts must be between ${LIMITS.minAttempts} and ${LIMITS.maxAttempts}` }),
  backoffMs: z
    .number({ error: 'backoffMs must be a number' })
    .int({ error: 'backoffMs must be a whole number of milliseconds' })
    .min(LIMITS.minBackoffMs, { error: `backoffMs must be between ${LIMITS.minBackoffMs} and ${LIMITS.maxBackoffMs} ms` })
    .max(LIMITS.maxBackoffMs, { error: `backoffMs must be between ${LIMITS.minBackoffMs} and ${LIMITS.maxBackoffMs} ms` }),
})

const onFalse = z.union(
  [
    z.literal('complete'),
    z.literal('skip'),
    z.number().int().min(1, { error: 'onFalse as a number must be at least 1' }),
  ],
  { error: 'onFalse must be "complete", "skip" or a whole number of steps to skip (1 or more)' },
)

const actionStep = z.strictObject({
  type: z.literal('action'),
  name: stepName,
  config: jsonObject.optional(),
  timeoutMs: positiveMs('timeoutMs', LIMITS.maxTimeoutMs).optional(),
  retryPolicy: retryPolicy.optional(),
})

const conditionStep = z.strictObject({
  type: z.literal('condition'),
  name: stepName,
  config: jsonObject.optional(),
  timeoutMs: positiveMs('timeoutMs', LIMITS.maxTimeoutMs).optional(),
  onFalse: onFalse.optional(),
})

const delayStep = z.strictObject({
  type: z.literal('delay'),
  name: stepName,
  config: jsonObject.optional(),
  delayMs: positiveMs('delayMs', LIMITS.maxDelayMs),
})

const signalType = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, { error: `${what} is empty; name a signal type such as "order.paid"` })
    .max(LIMITS.maxKeyLength, { error: `${what} is longer than ${LIMITS.maxKeyLength} characters` })
    .regex(TRIGGER_TYPE_PATTERN, {
      error: `${what} may use letters, digits, "_", ".", ":", "/" and "-", and must start with a letter or digit`,
    })

const signalTypeList = z
  .array(signalType('signal type'), { error: 'signalTypes must be a list of signal types' })
  .min(1, { error: 'signalTypes is empty; list the signal types to wait for, or give one as signalType' })
  .max(LIMITS.maxSignalTypes, { error: `signalTypes may list at most ${LIMITS.maxSignalTypes} signal types` })
  .superRefine((types, ctx) => {
    types.forEach((type, i) => {
      if (types.indexOf(type) < i) ctx.addIssue({ code: 'custom', path: [i], message: `signal type "${type}" is listed twice; list it once`, input: type })
    })
  })

/**
 * `match`: one path, or a list of them, stored as a list. Checked by hand rather than as a zod
 * union so that each problem is reported at the path it is at (`match` or `match[2]`) with a
 * message saying what to write instead.
 */
const matchPaths = z.unknown().transform((value, ctx): MatchPath[] => {
  const fail = (message: string, path: number[] = []) => ctx.addIssue({ code: 'custom', path, message, input: value })
  if (value === undefined) {
    fail('match is required: list the paths at which the signal must have the run\'s trigger\'s values, e.g. ["resourceId"]')
    return z.NEVER
  }
  if (typeof value === 'string') {
    const problem = matchPathProblem(value)
    if (problem) fail(problem)
    return [value as MatchPath]
  }
  if (!Array.isArray(value)) {
    fail('match must be a path such as "payload.orderId" or a list of paths')
    return z.NEVER
  }
  if (value.length === 0) fail('match is empty; list at least one path such as "resourceId" or "payload.orderId"')
  if (value.length > LIMITS.maxMatchPaths) fail(`match may list at most ${LIMITS.maxMatchPaths} paths`)
  value.forEach((path: unknown, i) => {
    if (typeof path !== 'string') return fail('match path must be a string such as "payload.orderId"', [i])
    const problem = value.indexOf(path) < i ? `match path "${path}" is listed twice; list it once` : matchPathProblem(path)
    if (problem) fail(problem, [i])
  })
  return value as MatchPath[]
})

const onTimeout = z.enum(['continue', 'fail', 'complete'] satisfies OnTimeout[], {
  error: 'onTimeout must be "continue" (go on with the next step), "fail" (the run fails) or "complete" (the run ends completed)',
})

const hasFields = (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null

const waitStep = z
  .strictObject({
    type: z.literal('wait_for_signal'),
    name: stepName,
    config: jsonObject.optional(),
    signalType: signalType('signalType').optional(),
    signalTypes: signalTypeList.optional(),
    match: matchPaths.optional(),
    timeoutMs: positiveMs('timeoutMs', LIMITS.maxDelayMs),
    onTimeout: onTimeout.optional(),
  })
  // `when`: also reported next to other problems of the step, so one round of fixes is enough.
  .refine((step) => step.signalType !== undefined || step.signalTypes !== undefined, {
    error: 'signalType is required: name the signal type to wait for, or list several as signalTypes',
    path: ['signalType'],
    when: hasFields,
  })
  .refine((step) => step.signalType === undefined || step.signalTypes === undefined, {
    error: 'give signalType or signalTypes, not both; list every type in signalTypes',
    path: ['signalTypes'],
    when: hasFields,
  })
  // Stored in one form: what validateDefinition returns is what runs and what is hashed.
  .transform(({ signalType: one, signalTypes, ...step }): WorkflowStep => ({
    type: step.type,
    name: step.name,
    ...(step.config ? { config: step.config } : {}),
    signalTypes: signalTypes ?? [one!],
    ...(step.match ? { match: step.match } : {}),
    timeoutMs: step.timeoutMs,
    ...(step.onTimeout ? { onTimeout: step.onTimeout } : {}),
  }))

// Declared through a getter so the schema can refer to itself for nested branches.
const parallelStep = z.strictObject({
  type: z.literal('parallel'),
  name: stepName,
  config: jsonObject.optional(),
  get branches() {
    return z
      .array(z.array(stepSchema).min(1, { error: 'a branch needs at least one step' }), {
        error: 'branches must be a list of step lists',
      })
      .min(LIMITS.minBranches, { error: `a parallel step needs at least ${LIMITS.minBranches} branches` })
      .max(LIMITS.maxBranches, { error: `a parallel step may have at most ${LIMITS.maxBranches} branches` })
  },
})

/** Zod schema of one step (the stored step JSON). */
export const stepSchema: z.ZodType<WorkflowStep> = z.discriminatedUnion(
  'type',
  [actionStep, conditionStep, delayStep, parallelStep, waitStep],
  { error: 'step type must be one of "action", "condition", "delay", "parallel" or "wait_for_signal"' },
) as unknown as z.ZodType<WorkflowStep>

const displayText = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, { error: `${what} is empty` })
    .max(max, { error: `${what} is longer than ${max} characters` })
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { error: `${what} contains control characters` })

const filter = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, { error: `${what} is empty; leave it out to match every value` })
    .max(LIMITS.maxKeyLength, { error: `${what} is longer than ${LIMITS.maxKeyLength} characters` })

const cancelOnEntry = z.strictObject(
  { signalType: signalType('signalType'), match: matchPaths },
  { error: 'a cancelOn entry must be an object { signalType, match }' },
)

const cancelOn = z
  .array(cancelOnEntry, { error: 'cancelOn must be a list of { signalType, match } entries' })
  .max(LIMITS.maxCancelOn, { error: `cancelOn may list at most ${LIMITS.maxCancelOn} entries` })
  // An empty list cancels on nothing, as no list does; stored as no list, so both hash alike.
  .transform((list): CancelOn[] | undefined => (list.length > 0 ? list : undefined))

/** Zod schema of a whole workflow spec (before the cross-step checks of validateDefinition). */
export const workflowSpecSchema = z.strictObject({
  key: z
    .string({ error: 'key must be a string' })
    .min(1, { error: 'key is empty; give the workflow a stable key such as "incident-on-missed-heartbeat"' })
    .max(LIMITS.maxKeyLength, { error: `key is longer than ${LIMITS.maxKeyLength} characters` })
    .regex(KEY_PATTERN, { error: 'key may use letters, digits, ".", "_" and "-", and must start with a letter or digit' }),
  name: displayText('name', LIMITS.maxDisplayNameLength),
  description: displayText('description', LIMITS.maxDescriptionLength).optional(),
  triggerType: z
    .string({ error: 'triggerType must be a string' })
    .min(1, { error: 'triggerType is empty; name the signal type this workflow reacts to' })
    .max(LIMITS.maxKeyLength, { error: `triggerType is longer than ${LIMITS.maxKeyLength} characters` })
    .regex(TRIGGER_TYPE_PATTERN, {
      error: 'triggerType may use letters, digits, "_", ".", ":", "/" and "-", and must start with a letter or digit',
    }),
  environmentFilter: filter('environmentFilter').optional(),
  resourceTypeFilter: filter('resourceTypeFilter').optional(),
  steps: z
    .array(stepSchema, { error: 'steps must be a list' })
    .min(1, { error: 'a workflow needs at least one step' }),
  config: jsonObject,
  cronExpression: z.string({ error: 'cronExpression must be a string' }).optional(),
  cronTimezone: z.string({ error: 'cronTimezone must be a string' }).optional(),
  cancelOn: cancelOn.optional(),
  flow: flowSchema.optional(),
  isEnabled: z.boolean({ error: 'isEnabled must be true or false' }),
})
