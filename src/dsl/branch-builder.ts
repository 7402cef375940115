import type { ActionDef } from './action.js'
import { makeActionDef, type AnyActionHandler } from './action.js'
import { addAction, addCondition, addDelay, addParallel, addWait, type ChainProps, type RawStepOptions, type RawWaitOptions } from './chain.js'
import type { ChainState } from './chain-state.js'
import { makeConditionDef, type AnyConditionHandler, type ConditionDef } from './condition.js'
import { PulseValidationError } from '../errors.js'
import type { StepMethods } from './step-methods.js'

/** What every branch builder is, whatever its state; the return type a branch function must have. */
export interface AnyBranch {
  readonly kind: 'branch'
}

/**
 * The builder a parallel branch function receives. It has the workflow's step methods and sees
 * the outputs of the steps before the parallel step.
 *
 * @example
 * ```ts
 * .parallel('notify_all', (b) => b.do(sendEmail).when(wantsSms).do(sendSms), (b) => b.do(sendSlack))
 * ```
 */
export interface BranchBuilder<S extends ChainState> extends StepMethods<null, S>, AnyBranch {}

/** One parallel branch under construction; frozen, every method returns a new instance. */
export class BranchBuilderImpl {
  readonly kind = 'branch'

  constructor(readonly chain: ChainProps) {
    Object.freeze(this)
  }

  do(first: unknown, second?: unknown, third?: unknown): BranchBuilderImpl {
    return new BranchBuilderImpl(chainDo(this.chain, first, second, third))
  }

  when(first: unknown, second?: unknown, third?: unknown): BranchBuilderImpl {
    return new BranchBuilderImpl(chainWhen(this.chain, first, second, third))
  }

  delay(duration: unknown, options?: RawStepOptions): BranchBuilderImpl {
    return new BranchBuilderImpl(addDelay(this.chain, duration, options))
  }

  waitFor(name: unknown, triggers: unknown, options?: RawWaitOptions): BranchBuilderImpl {
    return new BranchBuilderImpl(addWait(this.chain, name, triggers, options))
  }

  parallel(name: unknown, ...branches: unknown[]): BranchBuilderImpl {
    return new BranchBuilderImpl(chainParallel(this.chain, name, branches))
  }
}

/** `.do()` for both builders: a def with options, or a name, an inline handler and options. */
export function chainDo(chain: ChainProps, first: unknown, second: unknown, third: unknown): ChainProps {
  if (isDef(first, 'action')) return addAction(chain, first as ActionDef, second as RawStepOptions | undefined)
  const options = third as RawStepOptions | undefined
  const def = makeStepDef(chain, () =>
    makeActionDef(first as string, second as AnyActionHandler, { replaySafe: options?.replaySafe as boolean | undefined }),
  )
  if (options !== undefined && typeof options === 'object' && options !== null && 'replaySafe' in options) {
    const { replaySafe: _replaySafe, ...stepOptions } = options
    return addAction(chain, def, stepOptions)
  }
  return addAction(chain, def, options)
}

/** `.when()` for both builders. */
export function chainWhen(chain: ChainProps, first: unknown, second: unknown, third: unknown): ChainProps {
  if (isDef(first, 'condition')) return addCondition(chain, first as ConditionDef, second as RawStepOptions | undefined)
  const def = makeStepDef(chain, () => makeConditionDef(first as string, second as AnyConditionHandler))
  return addCondition(chain, def, third as RawStepOptions | undefined)
}

/** `.parallel()` for both builders. */
export function chainParallel(chain: ChainProps, name: unknown, branches: readonly unknown[]): ChainProps {
  return addParallel(chain, name, branches, (branch, start) => {
    if (typeof branch !== 'function') {
      throw new PulseValidationError(chain.subject, [
        { path: [...start.path], message: 'each branch must be a function such as (b) => b.do(sendEmail)' },
      ])
    }
    const end: unknown = branch(new BranchBuilderImpl(start))
    if (!(end instanceof BranchBuilderImpl)) {
      throw new PulseValidationError(chain.subject, [
        { path: [...start.path], message: 'a branch function must return the builder it was given with steps added: (b) => b.do(...)' },
      ])
    }
    return end.chain
  })
}

function isDef(value: unknown, kind: 'action' | 'condition'): boolean {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind
}

// An inline handler's name problems belong to the step being added, so re-root them there.
function makeStepDef<T>(chain: ChainProps, make: () => T): T {
  try {
    return make()
  } catch (err) {
    if (!(err instanceof PulseValidationError)) throw err
    const at = [...chain.path, chain.steps.length]
    throw new PulseValidationError(
      chain.subject,
      err.issues.map((issue) => ({ path: [...at, ...issue.path], message: issue.message })),
    )
  }
}
