/**
 * The cheapest typed builder the consumer project of bench/types can be written against: the same
 * names and call shapes as pulse-engine, with payloads, outputs and config inferred, and nothing
 * else. No step-name checks, no `| undefined` for steps a condition may skip, no check that the
 * payload survives JSON, no typed `ctx.emit`, no flow-control methods. It runs nothing; it exists
 * so `bench/types/check.ts --floor` can say how many instantiations per workflow any typed fluent
 * builder pays in that project (zod's own types included), and so how much pulse-engine's checks
 * cost on top.
 */
type Json = Record<string, unknown>
type Empty = Record<never, never>
interface Schema {
  readonly _zod: { readonly output: unknown; readonly input: unknown }
}
type DataOf<R> = Awaited<R> extends { data?: infer D } ? D : Empty

export interface Ctx<P, Steps, C> {
  trigger: { id: string; payload: P }
  steps: Steps
  config: C
  log(message: string, data?: Json): void
}
export interface ActionDef<N extends string, D> {
  readonly kind: 'action'
  readonly name: N
  readonly data?: D
}
export interface ConditionDef<N extends string> {
  readonly kind: 'condition'
  readonly name: N
}
export interface Trigger<P, I> {
  readonly kind: 'trigger'
  readonly type: string
  readonly input?: I
  action<const N extends string, R>(name: N, handler: (ctx: Ctx<P, Empty, Empty>) => R, options?: { replaySafe?: boolean }): ActionDef<N, DataOf<R>>
  condition<const N extends string>(name: N, handler: (ctx: Ctx<P, Empty, Empty>) => boolean | Promise<boolean>): ConditionDef<N>
}
export declare function trigger<S extends Schema>(
  type: string,
  options: { source: string; resourceType?: string; payload: S },
): Trigger<S['_zod']['output'], S['_zod']['input']>

interface Steps<P, O, C, Self extends string | null> {
  do<N extends string, D>(action: ActionDef<N, D>, options?: object): Next<P, O & { [K in N]: D }, C, Self>
  do<N extends string, R>(name: N, handler: (ctx: Ctx<P, O, C>) => R, options?: object): Next<P, O & { [K in N]: DataOf<R> }, C, Self>
  when(condition: ConditionDef<string>, options?: object): Next<P, O, C, Self>
  when(name: string, handler: (ctx: Ctx<P, O, C>) => boolean, options?: object): Next<P, O, C, Self>
  delay(duration: string, options?: { name: string }): Next<P, O, C, Self>
  parallel<O1, O2>(
    name: string,
    first: (branch: Branch<P, O, C>) => Branch<P, O1, C>,
    second: (branch: Branch<P, O, C>) => Branch<P, O2, C>,
  ): Next<P, O & O1 & O2, C, Self>
}
// A workflow is named by its literal key, so an array of them is checked without comparing every pair.
type Next<P, O, C, Self> = Self extends string ? Workflow<P, O, C, Self> : Branch<P, O, C>
export interface Branch<P, O, C> extends Steps<P, O, C, null> {
  readonly kind: 'branch'
}
export interface Workflow<P, O, C, K extends string> extends Steps<P, O, C, K>, AnyWorkflow {
  readonly key: K
}
export interface AnyWorkflow {
  readonly key: string
}
export interface WorkflowStart<C, K extends string> {
  config<C2 extends Json>(config: C2): WorkflowStart<C2, K>
  on<P, I>(trigger: Trigger<P, I>, filters?: { environment?: string }): Workflow<P, Empty, C, K>
}
export declare function workflow<const K extends string>(key: K): WorkflowStart<Empty, K>

export interface Engine {
  register(...workflows: AnyWorkflow[]): void
  sync(options: { tenantId: string; workflows: AnyWorkflow[] }): Promise<unknown>
  emit<P, I>(trigger: Trigger<P, I>, input: { tenantId: string; payload: NoInfer<I> }): Promise<unknown>
}
export declare function createEngine(options: { dataDir?: string | false }): Engine
export declare function defineConfig(config: { workflows: AnyWorkflow[]; tenants: string[] }): unknown
