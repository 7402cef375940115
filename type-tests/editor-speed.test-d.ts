import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import { z } from 'zod'
import {
  createEngine,
  defineConfig,
  trigger,
  workflow,
  type AnyWorkflow,
  type DslTypeError,
  type EmitResult,
  type StartedRun,
  type HandlerContext,
  type IsAny,
  type JsonObject,
  type PayloadInputOf,
  type PayloadOf,
  type TriggerEnvelope,
  type WorkflowSpec,
} from '../dist/index.js'

const notAny = <T>(_value: T): IsAny<T> => null as unknown as IsAny<T>

const orderPlaced = trigger('order.placed', {
  source: 'shop',
  payload: z.object({ orderId: z.string(), attempts: z.number().default(0), customer: z.object({ email: z.string() }) }),
})
const untyped = trigger('thing.happened', { source: 'test' })

// --- the schema's input for emitters, its output for handlers -----------------------------------
expectType<{ orderId: string; attempts: number; customer: { email: string } }>(null as unknown as PayloadOf<typeof orderPlaced>)
expectType<{ orderId: string; attempts?: number | undefined; customer: { email: string } }>(null as unknown as PayloadInputOf<typeof orderPlaced>)
expectType<false>(null as unknown as IsAny<PayloadInputOf<typeof orderPlaced>>)
expectType<JsonObject>(null as unknown as PayloadInputOf<typeof untyped>)

const engine = createEngine({ dataDir: false })
// A field with .default() may be left out: zod fills it in.
expectType<Promise<EmitResult>>(engine.emit(orderPlaced, { tenantId: 't', payload: { orderId: 'o1', customer: { email: 'a@b.c' } } }))
expectError(engine.emit(orderPlaced, { tenantId: 't', payload: { orderId: 'o1' } }))
expectError(engine.emit(orderPlaced, { tenantId: 't', payload: { orderId: 1, customer: { email: 'a@b.c' } } }))
expectType<Promise<EmitResult>>(engine.forTenant('t').emit(orderPlaced, { payload: { orderId: 'o1', customer: { email: 'a@b.c' } } }))
expectError(engine.forTenant('t').emit(orderPlaced, { payload: { orderId: 'o1' } }))
// What an emit did: the signal, its runs, whether an earlier emit with the same key stored it.
expectType<Promise<EmitResult>>(engine.emit(orderPlaced, { tenantId: 't', payload: { orderId: 'o1', customer: { email: 'a@b.c' } }, idempotencyKey: 'delivery-1' }))
expectType<Promise<EmitResult>>(engine.emit({ tenantId: 't', type: 'order.placed', source: 'shop', idempotencyKey: 'delivery-1' }))
expectError(engine.emit(orderPlaced, { tenantId: 't', payload: { orderId: 'o1', customer: { email: 'a@b.c' } }, idempotencyKey: 42 }))
expectAssignable<TriggerEnvelope>(null as unknown as EmitResult)
expectType<StartedRun[]>((null as unknown as EmitResult).runs)
expectType<string | null>((null as unknown as StartedRun).workflowKey)
expectType<boolean>((null as unknown as EmitResult).deduplicated)

// --- typed ctx.emit ---------------------------------------------------------------------------
workflow('chain')
  .on(untyped)
  .do('forward', async (ctx) => {
    // Handlers see the output type; emitters write the input type; the tenant defaults to the run's.
    expectType<Promise<EmitResult>>(ctx.emit(orderPlaced, { payload: { orderId: 'o1', customer: { email: 'a@b.c' } } }))
    expectType<Promise<EmitResult>>(ctx.emit(orderPlaced, { tenantId: 'other', resourceId: 'r1', payload: { orderId: 'o1', attempts: 2, customer: { email: 'a@b.c' } } }))
    expectError(ctx.emit(orderPlaced, { payload: { orderId: 'o1' } }))
    expectError(ctx.emit(orderPlaced, { payload: { orderId: 'o1', customer: { email: 'a@b.c' }, extra: true } }))
    expectError(ctx.emit(orderPlaced, {}))
    // The untyped form stays, for workflows stored as JSON.
    expectType<Promise<EmitResult>>(ctx.emit({ tenantId: ctx.tenantId, type: 'order.placed', payload: { orderId: 'o1' } }))
    expectError(ctx.emit({ type: 'order.placed' }))
    expectType<Promise<EmitResult>>(ctx.emit(orderPlaced, { payload: { orderId: 'o1', customer: { email: 'a@b.c' } }, idempotencyKey: `order:${ctx.run.id}` }))
  })

workflow('reads')
  .on(orderPlaced)
  .do('read', (ctx) => {
    expectType<number>(ctx.trigger.payload.attempts)
    expectType<false>(notAny(ctx.trigger.payload.attempts))
  })

// --- readable errors --------------------------------------------------------------------------
const reads = workflow('messages').on(orderPlaced)
// compile() of a workflow without steps names what is missing: the argument it lacks is the sentence.
expectType<[DslTypeError<'a workflow needs at least one step before compile(): add .do(), .when(), .delay() or .parallel()'>]>(
  null as unknown as Parameters<typeof reads.compile>,
)
expectError(reads.compile())
expectType<WorkflowSpec>(reads.delay('1s').compile())
// A one-branch parallel step is a sentence on its name, not "Expected at least 3 arguments".
expectError(reads.parallel('only_one', (b) => b.delay('1s')))
expectError(reads.parallel('none'))
expectAssignable<AnyWorkflow>(reads.parallel('two', (b) => b.delay('1s'), (b) => b.delay('2s')))
expectAssignable<AnyWorkflow>(reads.parallel('three', (b) => b.delay('1s'), (b) => b.delay('2s'), (b) => b.delay('3s')))

// The handler context is a named HandlerContext of the user's own types, not internal state.
reads.do('first', () => ({ success: true, data: { id: 'x' } })).do('second', (ctx) => {
  expectType<HandlerContext<PayloadOf<typeof orderPlaced>, { first: { id: string } }, JsonObject>>(ctx)
})

// --- workflow keys and arrays of workflows ------------------------------------------------------
const a = workflow('a').on(orderPlaced).delay('1s')
const b = workflow('b').on(untyped).do('x', () => ({ success: true, data: { n: 1 } }))
expectType<'a'>(a.key)
expectType<string>(workflow('k' as string).on(untyped).delay('1s').key)
expectAssignable<AnyWorkflow[]>([a, b])
void engine.sync({ tenantId: 't', workflows: [a, b] })
engine.register(a, b)
expectAssignable<object>(defineConfig({ workflows: [a, b] }))
expectNotAssignable<AnyWorkflow>(workflow('c').on(orderPlaced))
