import type { HandlerContext, JsonObject } from '../types.js'
import type { ActionDef, ActionHandlerResult, DataOf } from './action.js'
import type { BranchBuilder, AnyBranch } from './branch-builder.js'
import type {
  ActionStepOptions,
  AddAction,
  AddCondition,
  AddDelay,
  AddName,
  AddParallel,
  BranchCheck,
  BranchesHaveSteps,
  BranchOutputs,
  BranchStart,
  ChainState,
  ConditionStepOptions,
  DelayName,
  DelayStepOptions,
  InlineActionStepOptions,
  OnFalseOption,
  UniqueDef,
  UniqueName,
} from './chain-state.js'
import type { ConditionDef, ConditionHandlerResult } from './condition.js'
import type { DurationInput } from './duration.js'
import type { AwaitedOf, AwaitedTriggers, MatchCheck, MatchInput, ReceivedSignal, WaitForOptions, WaitResult } from './signal-wait.js'
import type { Simplify } from './type-errors.js'
import type { WorkflowBuilder } from './workflow-builder.js'

/**
 * Which builder a step method returns: a workflow's, identified by its key (a literal key makes
 * arrays of workflows cheap to check, see {@link WorkflowBuilder}), or a parallel branch's (`null`).
 */
export type BuilderKind = string | null

type Next<K extends BuilderKind, S extends ChainState> = K extends string ? WorkflowBuilder<S, K> : BranchBuilder<S>

/** The context an inline handler receives at this point of the chain. */
export type ContextAt<S extends ChainState> = HandlerContext<S['payload'], Simplify<S['steps']>, S['config']>

/** One branch of a parallel step: gets a fresh branch builder, returns it with steps added. */
export type BranchFn<S extends ChainState, Names extends string, R extends AnyBranch = AnyBranch> = (
  branch: BranchBuilder<BranchStart<S, Names>>,
) => R

/** The final state of a branch function's builder. */
type EndOf<R> = R extends BranchBuilder<infer E extends ChainState> ? E : never


/** A branch of a parallel step given as a list (more than four branches). */
type ListedBranchFn<S extends ChainState, N extends string> = BranchFn<S, AddName<S['names'], N>>

/** The final state of each branch function's builder. */
export type BranchEnds<B extends readonly unknown[]> = {
  [I in keyof B]: B[I] extends (...args: never[]) => BranchBuilder<infer E extends ChainState> ? E : never
}

/**
 * The step methods a workflow and a parallel branch share. Each returns a new builder; the one
 * it was called on is unchanged.
 */
export interface StepMethods<K extends BuilderKind, S extends ChainState> {
  // Inline forms come first: a call with a def and no options has too few arguments for them, so
  // TypeScript skips them without instantiating anything, and an inline call matches at once.
  /**
   * Runs an action declared on the spot; its handler sees the typed payload, earlier outputs
   * and config.
   *
   * @example
   * ```ts
   * .do('notify_oncall', async (ctx) => {
   *   await page(ctx.steps.create_incident.incidentId)
   * }, { replaySafe: false })
   * ```
   */
  do<N extends string, R extends ActionHandlerResult>(
    name: UniqueName<N, S['names']>,
    handler: (ctx: HandlerContext<S['payload'], Simplify<S['steps']>, S['config']>) => R,
    options?: InlineActionStepOptions,
  ): Next<K, AddAction<S, N, DataOf<R>>>
  /**
   * Runs an action declared with `action()` or `trigger.action()`. Its output becomes
   * `ctx.steps[name]` for the steps after it.
   *
   * @example
   * ```ts
   * .do(createIncident, { retry: { maxAttempts: 3, backoff: '5s' }, timeout: '30s' })
   * ```
   */
  do<N extends string, D extends JsonObject>(
    action: ActionDef<N, S['payload'], D> & UniqueDef<N, S['names']>,
    options?: ActionStepOptions,
  ): Next<K, AddAction<S, N, D>>

  /**
   * Checks a condition declared on the spot.
   *
   * @example
   * ```ts
   * .when('is_production', (ctx) => ctx.trigger.environment === 'production', { onFalse: 'skip' })
   * ```
   */
  when<N extends string, const O extends OnFalseOption = 'complete'>(
    name: UniqueName<N, S['names']>,
    handler: (ctx: HandlerContext<S['payload'], Simplify<S['steps']>, S['config']>) => ConditionHandlerResult,
    options?: ConditionStepOptions<O>,
  ): Next<K, AddCondition<S, N, O>>
  /**
   * Checks a condition declared with `condition()` or `trigger.condition()`; on `false` the run
   * completes (default), skips the next step (`'skip'`) or skips the next N steps.
   *
   * @example
   * ```ts
   * .when(stillDown, { onFalse: 'complete', timeout: '10s' })
   * ```
   */
  when<N extends string, const O extends OnFalseOption = 'complete'>(
    condition: ConditionDef<N, S['payload']> & UniqueDef<N, S['names']>,
    options?: ConditionStepOptions<O>,
  ): Next<K, AddCondition<S, N, O>>

  /**
   * Waits, from 1 ms up to 30 days. The step is named `wait_<duration>` (`wait_5m`) unless
   * you name it.
   *
   * @example
   * ```ts
   * .delay('5m')                        // step "wait_5m"
   * .delay(90_000, { name: 'cooldown' }) // step "cooldown"
   * ```
   */
  delay<const D extends DurationInput>(duration: D & UniqueDef<DelayName<D>, S['names']>): Next<K, AddDelay<S, DelayName<D>>>
  delay<const D extends DurationInput, N extends string>(
    duration: D,
    options: DelayStepOptions<UniqueName<N, S['names']>>,
  ): Next<K, AddDelay<S, N>>

  /**
   * Waits for a signal of `trigger` (or of any trigger in a list; the first matching one wins)
   * that has the run's trigger's values at every `match` path, for at most `timeout`. A matching
   * signal stored after the run started counts even if it came before the wait was reached. Later
   * steps read `ctx.steps[name]`: `{ received: true, signal }`, the signal typed by its trigger's
   * schema and told apart by `signal.type`, or `{ received: false }` after a timeout.
   *
   * @example
   * ```ts
   * .waitFor('wait_for_upgrade', subscriptionCreated, { match: 'payload.accountId', timeout: '3d' })
   * .waitFor('outcome', [jobCompleted, jobFailed], { match: ['resourceId'], timeout: '1h', onTimeout: 'fail' })
   * ```
   */
  waitFor<N extends string, const T extends AwaitedTriggers, const M extends MatchInput>(
    name: UniqueName<N, S['names']>,
    triggers: T,
    options: WaitForOptions<M & MatchCheck<M, S['payload'] | ReceivedSignal<AwaitedOf<T>>['payload']>>,
  ): Next<K, AddAction<S, N, WaitResult<ReceivedSignal<AwaitedOf<T>>>>>

  /**
   * Runs two or more branches at the same time and waits for all of them. Branch actions'
   * outputs are visible after the parallel step; one that follows a condition inside its
   * branch is typed `| undefined`, since that branch may have stopped before it.
   *
   * @example
   * ```ts
   * .parallel('notify_all',
   *   (b) => b.do(sendEmail).do(logEmailSent),
   *   (b) => b.delay('1m').do(sendSlack))
   * ```
   */
  // Two to four branches are typed one after the other: each branch starts from the names the
  // ones before it used, so a reused name is caught where it is reused, and the outputs merge
  // into one intersection, with no check of the whole list of branches afterwards.
  parallel<N extends string, R1 extends AnyBranch, R2 extends AnyBranch>(
    name: UniqueName<N, S['names']> & NoInfer<BranchesHaveSteps<EndOf<R1>['hasSteps'] | EndOf<R2>['hasSteps']>>,
    first: BranchFn<S, AddName<S['names'], N>, R1>,
    second: BranchFn<S, EndOf<R1>['names'], R2>,
  ): Next<K, AddParallel<S, EndOf<R1>['out'] & EndOf<R2>['out'], EndOf<R2>['names']>>
  parallel<N extends string, R1 extends AnyBranch, R2 extends AnyBranch, R3 extends AnyBranch>(
    name: UniqueName<N, S['names']> & NoInfer<BranchesHaveSteps<EndOf<R1>['hasSteps'] | EndOf<R2>['hasSteps'] | EndOf<R3>['hasSteps']>>,
    first: BranchFn<S, AddName<S['names'], N>, R1>,
    second: BranchFn<S, EndOf<R1>['names'], R2>,
    third: BranchFn<S, EndOf<R2>['names'], R3>,
  ): Next<K, AddParallel<S, EndOf<R1>['out'] & EndOf<R2>['out'] & EndOf<R3>['out'], EndOf<R3>['names']>>
  parallel<N extends string, R1 extends AnyBranch, R2 extends AnyBranch, R3 extends AnyBranch, R4 extends AnyBranch>(
    name: UniqueName<N, S['names']> & NoInfer<BranchesHaveSteps<EndOf<R1>['hasSteps'] | EndOf<R2>['hasSteps'] | EndOf<R3>['hasSteps'] | EndOf<R4>['hasSteps']>>,
    first: BranchFn<S, AddName<S['names'], N>, R1>,
    second: BranchFn<S, EndOf<R1>['names'], R2>,
    third: BranchFn<S, EndOf<R2>['names'], R3>,
    fourth: BranchFn<S, EndOf<R3>['names'], R4>,
  ): Next<K, AddParallel<S, EndOf<R1>['out'] & EndOf<R2>['out'] & EndOf<R3>['out'] & EndOf<R4>['out'], EndOf<R4>['names']>>
  // Any other number of branches: fewer than two gets BranchCheck's sentence instead of the
  // compiler's "Expected at least 3 arguments".
  parallel<N extends string, B extends ListedBranchFn<S, N>[]>(
    name: UniqueName<N, S['names']> & NoInfer<BranchCheck<BranchEnds<B>, AddName<S['names'], N>>>,
    ...branches: B
  ): Next<K, AddParallel<S, BranchOutputs<BranchEnds<B>>, AddName<S['names'], N> | BranchEnds<B>[number]['names']>>
}
