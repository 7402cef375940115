import type { JsonObject } from '../types.js'
import type { DurationInput } from './duration.js'
import type { DslTypeError } from './type-errors.js'

/**
 * What a builder knows at the type level, in one slot so every method can say how it changes
 * it. Nothing here exists at run time.
 */
export interface ChainState {
  /** The trigger payload handlers read as `ctx.trigger.payload`. */
  payload: unknown
  /**
   * Outputs later steps of this chain read as `ctx.steps`: one flat intersection, flattened into
   * one object type only where a handler reads it ({@link ContextAt}). A flattened type per step
   * would keep every earlier one inside it, and the compiler walks that whole history each time
   * it instantiates a signature that mentions the state.
   */
  steps: object
  /** Outputs a parallel branch hands to the steps after the parallel step; an intersection too. */
  out: object
  /** The workflow config handlers read as `ctx.config`. */
  config: unknown
  /** Literal step names used so far, the workflow's outer steps included. */
  names: string
  /** Whether the chain has a step; a workflow without one cannot compile. */
  hasSteps: boolean
  /** One entry per following step that a false condition may skip; `'all'` when unknown. */
  skip: unknown[] | 'all'
  /** A condition ran earlier in this branch, so the branch may end before its later steps. */
  gated: boolean
}

type EmptyObject = Record<never, never>

/** The state right after `.on(trigger)`. */
export interface StartState<TPayload, TConfig> {
  payload: TPayload
  steps: EmptyObject
  out: EmptyObject
  config: TConfig
  names: never
  hasSteps: false
  skip: []
  gated: false
}

/** A condition's `onFalse`: end the run, skip the next step, or skip the next N steps. */
export type OnFalseOption = 'complete' | 'skip' | number

type Repeat<N extends number, Acc extends unknown[] = []> = Acc['length'] extends N
  ? Acc
  : Acc['length'] extends 32
    ? 'all'
    : Repeat<N, [...Acc, unknown]>

type SkipOf<O> = O extends 'skip' ? [unknown] : O extends 'complete' ? [] : number extends O ? 'all' : O extends number ? Repeat<O> : []
type Advance<K> = K extends 'all' ? 'all' : K extends [unknown, ...infer Rest] ? Rest : []
type SkipActive<S extends ChainState> = S['skip'] extends [] ? false : true
type MayBeMissing<S extends ChainState> = S['gated'] extends true ? true : SkipActive<S>
type Maybe<D, Flag extends boolean> = Flag extends true ? D | undefined : D
type MaybeEach<T, Flag extends boolean> = Flag extends true ? { [K in keyof T]: T[K] | undefined } : T
// `string extends N` rather than IsLiteralString<N>: one conditional less on every step.
type OutputOf<N extends string, D> = string extends N ? EmptyObject : { [K in N]: D }

/** Adds a literal name to the used names; non-literal names can only be checked at run time. */
export type AddName<Used extends string, N extends string> = string extends N ? Used : Used | N

/**
 * Intersected with a name or a def argument: `unknown` when its name is free, an error when a
 * literal name is already used in the workflow (`string` is never in `Used`, so non-literal
 * names pass and are checked at run time).
 */
export type UniqueDef<N extends string, Used extends string> = N extends Used
  ? DslTypeError<`step name "${N}" is already used in this workflow; step names must be unique, branches included`>
  : unknown

/**
 * The type of a step-name argument: the name itself, intersected with a readable error when a
 * literal name is already used in the workflow. N is inferred from the intersection's naked
 * member, which costs the compiler less than inferring through a conditional type.
 */
export type UniqueName<N extends string, Used extends string> = N & UniqueDef<N, Used>

/** The name a delay gets when none is given: `wait_5m` for `'5m'`; numbers are only named at run time. */
export type DelayName<D extends DurationInput> = D extends string ? `wait_${D}` : string

export interface AddAction<S extends ChainState, N extends string, D> {
  payload: S['payload']
  steps: S['steps'] & OutputOf<N, Maybe<D, SkipActive<S>>>
  out: S['out'] & OutputOf<N, Maybe<D, MayBeMissing<S>>>
  config: S['config']
  names: AddName<S['names'], N>
  hasSteps: true
  skip: Advance<S['skip']>
  gated: S['gated']
}

type NextSkip<K, O> = Advance<K> extends [] ? SkipOf<O> : SkipOf<O> extends [] ? Advance<K> : 'all'

export interface AddCondition<S extends ChainState, N extends string, O> {
  payload: S['payload']
  steps: S['steps']
  out: S['out']
  config: S['config']
  names: AddName<S['names'], N>
  hasSteps: true
  skip: NextSkip<S['skip'], O>
  gated: true
}

export interface AddDelay<S extends ChainState, N extends string> {
  payload: S['payload']
  steps: S['steps']
  out: S['out']
  config: S['config']
  names: AddName<S['names'], N>
  hasSteps: true
  skip: Advance<S['skip']>
  gated: S['gated']
}

/**
 * The state a parallel branch starts from: it sees the outer outputs, and the names used so far
 * (`Names`: the outer ones and the parallel step's, and those of the branches before it, so a
 * name used twice across branches is caught at the step that reuses it).
 */
export interface BranchStart<S extends ChainState, Names extends string> {
  payload: S['payload']
  steps: S['steps']
  out: EmptyObject
  config: S['config']
  names: Names
  hasSteps: false
  skip: []
  gated: false
}

/**
 * After a parallel step: the outputs of its branches (`Out`, each possibly undefined if its
 * branch can stop early) are visible, and `Names` holds every name used up to its last branch.
 */
export interface AddParallel<S extends ChainState, Out, Names extends string> {
  payload: S['payload']
  steps: S['steps'] & MaybeEach<Out, SkipActive<S>>
  out: S['out'] & MaybeEach<Out, MayBeMissing<S>>
  config: S['config']
  names: Names
  hasSteps: true
  skip: Advance<S['skip']>
  gated: S['gated']
}

/**
 * `unknown` when every branch has a step (`HasSteps` is the union of their ends' `hasSteps`;
 * `never` while the ends are not inferred yet), else an error. One conditional for all branches:
 * a conditional per branch cost the compiler a hundred instantiations per parallel step.
 */
export type BranchesHaveSteps<HasSteps> = false extends HasSteps
  ? DslTypeError<'every branch needs at least one step: (b) => b.do(...)'>
  : unknown

export interface WithConfig<S extends ChainState, C> {
  payload: S['payload']
  steps: S['steps']
  out: S['out']
  config: C
  names: S['names']
  hasSteps: S['hasSteps']
  skip: S['skip']
  gated: S['gated']
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never

/** Outputs of all branches of a parallel step given as a list, merged. */
export type BranchOutputs<Ends extends ChainState[]> = UnionToIntersection<Ends[number]['out']>

type Duplicates<Names extends string[], Seen extends string = never> = Names extends [
  infer Head extends string,
  ...infer Rest extends string[],
]
  ? (Head & Seen) | Duplicates<Rest, Seen | Head>
  : never

type OwnNames<Ends extends ChainState[], Outer extends string> = { [I in keyof Ends]: Exclude<Ends[I]['names'], Outer> }

/**
 * For a parallel step given as a list of branches (more than four, or fewer than two):
 * `unknown` when the branches are fine, otherwise an error naming the problem; it is
 * intersected with the parallel step's name argument so the error shows there.
 */
export type BranchCheck<Ends extends ChainState[], Outer extends string> = Ends extends [] | [unknown]
  ? DslTypeError<'a parallel step needs at least two branches: .parallel(name, (b) => b.do(...), (b) => b.do(...)); for one branch, add its steps to the chain itself'>
  : false extends Ends[number]['hasSteps']
  ? DslTypeError<'every branch needs at least one step: (b) => b.do(...)'>
  : [Duplicates<OwnNames<Ends, Outer>>] extends [never]
    ? unknown
    : DslTypeError<`step name "${Duplicates<OwnNames<Ends, Outer>>}" is used in more than one branch; step names must be unique, branches included`>

/** Options every handler step accepts. */
export interface HandlerStepOptions {
  /** Abort the attempt after this long; the step then fails (or retries). */
  timeout?: DurationInput
  /** Free-form JSON stored on the step. */
  config?: JsonObject
}

/** Options of `.do(...)`. */
export interface ActionStepOptions extends HandlerStepOptions {
  /** Attempts in total (1 to 10) and the base wait between them (100 ms to 5 min, doubling). */
  retry?: { maxAttempts: number; backoff: DurationInput }
}

/** Options of `.do(name, handler, ...)`, where the action is declared on the spot. */
export interface InlineActionStepOptions extends ActionStepOptions {
  /** Whether the action may run again on replay; default `false`. */
  replaySafe?: boolean
}

/** Options of `.when(...)`. */
export interface ConditionStepOptions<O extends OnFalseOption> extends HandlerStepOptions {
  /** What a `false` does: `'complete'` (default) ends the run, `'skip'` skips one step, N skips N. */
  onFalse?: O
}

/** Options of `.delay(...)` with a name of your own. */
export interface DelayStepOptions<N = string> {
  name: N
}
