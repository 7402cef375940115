import { LIMITS } from '../definition/limits.js'
import { stepSchema } from '../definition/schema.js'
import type { RetryPolicy, WorkflowStep } from '../definition/types.js'
import type { ValidationIssue } from '../errors.js'
import type { ActionDef } from './action.js'
import type { ConditionDef } from './condition.js'
import { formatDuration, readDuration } from './duration.js'
import { formatPath, throwIfAny, zodIssuesAt, type IssuePath } from './issues.js'
import type { TriggerDef } from './trigger.js'

/**
 * The data behind one chain of steps (a workflow's top level or one parallel branch). Builders
 * never change it: each call makes a new frozen copy, so half-built chains can be shared.
 */
export interface ChainProps {
  /** Names the workflow in error messages: `workflow "incident"`. */
  readonly subject: string
  /** Where this chain's steps sit in the compiled spec: `['steps']` or `['steps', 3, 'branches', 1]`. */
  readonly path: IssuePath
  /** How many parallel steps enclose this chain. */
  readonly depth: number
  readonly steps: readonly WorkflowStep[]
  /** Every step name used in the workflow so far, with where it was first used. */
  readonly names: ReadonlyMap<string, string>
  readonly actions: readonly ActionDef[]
  readonly conditions: readonly ConditionDef[]
  /** The triggers of the signals this chain's wait steps wait for, in step order. */
  readonly awaited: readonly TriggerDef<string, unknown, unknown>[]
}

/** Raw step options as a JavaScript caller might pass them; checked before use. */
export interface RawStepOptions {
  timeout?: unknown
  retry?: unknown
  config?: unknown
  onFalse?: unknown
  replaySafe?: unknown
  name?: unknown
}

export function emptyChain(subject: string, path: IssuePath, depth: number, names: ReadonlyMap<string, string>): ChainProps {
  return Object.freeze({
    subject,
    path,
    depth,
    steps: Object.freeze([]),
    names,
    actions: Object.freeze([]),
    conditions: Object.freeze([]),
    awaited: Object.freeze([]),
  })
}

export function addAction(chain: ChainProps, def: ActionDef, options: RawStepOptions | undefined): ChainProps {
  const at = [...chain.path, chain.steps.length]
  const issues = optionsIssues(at, options, ['timeout', 'retry', 'config', 'replaySafe'])
  const step: WorkflowStep = { type: 'action', name: def.name }
  if (options?.timeout !== undefined) setDuration(step, 'timeoutMs', options.timeout, at, issues)
  if (options?.retry !== undefined) {
    const retryPolicy = readRetry(options.retry, [...at, 'retryPolicy'], issues)
    if (retryPolicy) step.retryPolicy = retryPolicy
  }
  if (options?.config !== undefined) step.config = structuredClone(options.config as Record<string, unknown>)
  return append(chain, step, issues, { actions: [...chain.actions, def] })
}

export function addCondition(chain: ChainProps, def: ConditionDef, options: RawStepOptions | undefined): ChainProps {
  const at = [...chain.path, chain.steps.length]
  const issues = optionsIssues(at, options, ['timeout', 'config', 'onFalse'])
  const step: WorkflowStep = { type: 'condition', name: def.name }
  if (options?.timeout !== undefined) setDuration(step, 'timeoutMs', options.timeout, at, issues)
  if (options?.onFalse !== undefined) step.onFalse = options.onFalse as WorkflowStep['onFalse']
  if (options?.config !== undefined) step.config = structuredClone(options.config as Record<string, unknown>)
  return append(chain, step, issues, { conditions: [...chain.conditions, def] })
}

export function addDelay(chain: ChainProps, duration: unknown, options: RawStepOptions | undefined): ChainProps {
  const at = [...chain.path, chain.steps.length]
  const issues = optionsIssues(at, options, ['name'])
  const reading = readDuration(duration)
  const explicitName = options?.name
  const name = explicitName ?? (!reading.ok ? 'wait' : typeof duration === 'string' ? `wait_${duration}` : `wait_${formatDuration(reading.ms)}`)
  const step: WorkflowStep = { type: 'delay', name: name as string, delayMs: reading.ok ? reading.ms : 0 }
  if (!reading.ok) {
    issues.push({ path: [...at, 'delayMs'], message: reading.message })
    return append(chain, { ...step, delayMs: 1 }, issues, {})
  }
  return append(chain, step, issues, {})
}

/** Raw `.waitFor()` options as a JavaScript caller might pass them; checked before use. */
export interface RawWaitOptions {
  match?: unknown
  timeout?: unknown
  onTimeout?: unknown
}

/** Adds a wait step: `triggers` is one trigger or a list of them. */
export function addWait(chain: ChainProps, name: unknown, triggers: unknown, options: RawWaitOptions | undefined): ChainProps {
  const at = [...chain.path, chain.steps.length]
  const issues = optionsIssues(at, options as RawStepOptions | undefined, ['match', 'timeout', 'onTimeout'])
  const list = Array.isArray(triggers) ? (triggers as unknown[]) : [triggers]
  const defs = list.filter(isTrigger)
  const triggersOk = defs.length === list.length && list.length > 0
  if (!triggersOk) {
    issues.push({ path: [...at, 'signalTypes'], message: 'waitFor takes a trigger made with trigger("type", { source }), or a list of them' })
  }
  // A stand-in type when the triggers are wrong, so the schema does not report the same problem again.
  const signalTypes = triggersOk ? defs.map((def) => def.type) : ['unknown']
  const step: WorkflowStep = { type: 'wait_for_signal', name: name as string, signalTypes, timeoutMs: 1 }
  if (options !== undefined && typeof options === 'object' && options !== null) {
    // Kept as written (one path or a list) so a problem is reported where it is; compile()
    // stores it as a list, as validateDefinition does with every wait step.
    if (options.match === undefined) issues.push({ path: [...at, 'match'], message: 'match is required: list the paths at which the signal must have the run\'s trigger\'s values, e.g. "resourceId"' })
    else step.match = options.match as WorkflowStep['match']
    if (options.timeout === undefined) issues.push({ path: [...at, 'timeoutMs'], message: 'timeout is required: how long to wait, such as "3d"' })
    else setDuration(step, 'timeoutMs', options.timeout, at, issues)
    if (options.onTimeout !== undefined) step.onTimeout = options.onTimeout as WorkflowStep['onTimeout']
  } else if (options === undefined) {
    issues.push({ path: [...at], message: 'waitFor needs options: { match, timeout, onTimeout? }' })
  }
  return append(chain, step, issues, { awaited: [...chain.awaited, ...defs] })
}

function isTrigger(value: unknown): value is TriggerDef<string, unknown, unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'trigger'
}

/**
 * Adds a parallel step. `runBranch` turns one branch function into the chain it built; it runs
 * each branch knowing every name used so far, so a clash is reported at the branch step itself.
 */
export function addParallel(
  chain: ChainProps,
  name: unknown,
  branches: readonly unknown[],
  runBranch: (branch: unknown, start: ChainProps) => ChainProps,
): ChainProps {
  const index = chain.steps.length
  const at = [...chain.path, index]
  const head: WorkflowStep = { type: 'parallel', name: name as string, branches: [[{ type: 'delay', name: '_', delayMs: 1 }], [{ type: 'delay', name: '_', delayMs: 1 }]] }
  // The placeholder branches let the schema check the name alone before the real branches exist.
  const headIssues = stepIssues(head, at)
  nameClash(chain, head.name, at, headIssues)
  if (chain.depth >= LIMITS.maxParallelDepth) {
    headIssues.push({ path: [...at, 'branches'], message: `parallel steps are nested more than ${LIMITS.maxParallelDepth} deep` })
  }
  if (branches.length < LIMITS.minBranches || branches.length > LIMITS.maxBranches) {
    headIssues.push({
      path: [...at, 'branches'],
      message: `a parallel step needs between ${LIMITS.minBranches} and ${LIMITS.maxBranches} branches; it has ${branches.length}`,
    })
  }
  throwIfAny(chain.subject, headIssues)

  let names = new Map(chain.names).set(head.name, formatPath([...at, 'name']))
  const ends = branches.map((branch, b) => {
    const end = runBranch(branch, emptyChain(chain.subject, [...at, 'branches', b], chain.depth + 1, names))
    if (end.steps.length === 0) {
      throwIfAny(chain.subject, [{ path: [...at, 'branches', b], message: 'a branch needs at least one step: (b) => b.do(...)' }])
    }
    names = new Map(end.names)
    return end
  })
  const step: WorkflowStep = { type: 'parallel', name: head.name, branches: ends.map((end) => [...end.steps]) }
  return Object.freeze({
    ...chain,
    steps: Object.freeze([...chain.steps, deepFreeze(step)]),
    names,
    actions: Object.freeze([...chain.actions, ...ends.flatMap((end) => end.actions)]),
    conditions: Object.freeze([...chain.conditions, ...ends.flatMap((end) => end.conditions)]),
    awaited: Object.freeze([...chain.awaited, ...ends.flatMap((end) => end.awaited)]),
  })
}

function append(
  chain: ChainProps,
  step: WorkflowStep,
  issues: ValidationIssue[],
  handlers: { actions?: readonly ActionDef[]; conditions?: readonly ConditionDef[]; awaited?: ChainProps['awaited'] },
): ChainProps {
  const at = [...chain.path, chain.steps.length]
  issues.push(...stepIssues(step, at))
  nameClash(chain, step.name, at, issues)
  throwIfAny(chain.subject, issues)
  return Object.freeze({
    ...chain,
    steps: Object.freeze([...chain.steps, deepFreeze(step)]),
    names: new Map(chain.names).set(step.name, formatPath([...at, 'name'])),
    actions: Object.freeze([...(handlers.actions ?? chain.actions)]),
    conditions: Object.freeze([...(handlers.conditions ?? chain.conditions)]),
    awaited: Object.freeze([...(handlers.awaited ?? chain.awaited)]),
  })
}

function nameClash(chain: ChainProps, name: unknown, at: IssuePath, issues: ValidationIssue[]): void {
  const first = typeof name === 'string' ? chain.names.get(name) : undefined
  if (first !== undefined) {
    issues.push({
      path: [...at, 'name'],
      message: `step name "${String(name)}" is already used at ${first}; step names must be unique in a workflow, branches included`,
    })
  }
}

function stepIssues(step: WorkflowStep, at: IssuePath): ValidationIssue[] {
  const parsed = stepSchema.safeParse(step)
  return parsed.success ? [] : zodIssuesAt(at, parsed.error)
}

function setDuration(step: WorkflowStep, field: 'timeoutMs', value: unknown, at: IssuePath, issues: ValidationIssue[]): void {
  const reading = readDuration(value)
  if (reading.ok) step[field] = reading.ms
  else issues.push({ path: [...at, field], message: reading.message.replace(/^duration/, 'timeout') })
}

function readRetry(value: unknown, at: IssuePath, issues: ValidationIssue[]): RetryPolicy | undefined {
  if (typeof value !== 'object' || value === null) {
    issues.push({ path: [...at], message: 'retry must be an object such as { maxAttempts: 3, backoff: "5s" }' })
    return undefined
  }
  const { maxAttempts, backoff } = value as { maxAttempts?: unknown; backoff?: unknown }
  const reading = readDuration(backoff)
  if (!reading.ok) {
    issues.push({ path: [...at, 'backoffMs'], message: reading.message.replace(/^duration/, 'backoff') })
    return undefined
  }
  return { maxAttempts: maxAttempts as number, backoffMs: reading.ms }
}

function optionsIssues(at: IssuePath, options: RawStepOptions | undefined, allowed: readonly string[]): ValidationIssue[] {
  if (options === undefined) return []
  if (typeof options !== 'object' || options === null) return [{ path: [...at], message: 'step options must be an object' }]
  const unknown = Object.keys(options).filter((key) => !allowed.includes(key))
  return unknown.length === 0
    ? []
    : [{ path: [...at], message: `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; this step accepts ${allowed.map((k) => `"${k}"`).join(', ')}` }]
}

/** Freezes a step JSON tree; steps are shared between builders, so nobody may change one in place. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
