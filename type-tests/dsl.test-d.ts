import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import { z } from 'zod'
import {
  action,
  collectRegistrations,
  compile,
  condition,
  parseDuration,
  trigger,
  workflow,
  type ActionDef,
  type AnyActionHandler,
  type AnyWorkflow,
  type ConditionDef,
  type DurationInput,
  type IsAny,
  type JsonObject,
  type PayloadOf,
  type TriggerDef,
  type WorkflowSpec,
} from '../dist/index.js'

const notAny = <T>(_value: T): IsAny<T> => null as unknown as IsAny<T>

const heartbeatMissed = trigger('heartbeat.missed', {
  source: 'heartbeat',
  resourceType: 'service',
  payload: z.object({ lastSeenAt: z.string().datetime(), attempts: z.number().optional() }),
})
const orderPlaced = trigger('order.placed', { source: 'shop', payload: z.object({ orderId: z.string() }) })
const untyped = trigger('thing.happened', { source: 'test' })

const stillDown = condition('service_still_down', async () => true)
const createIncident = heartbeatMissed.action('create_incident', async (ctx) => {
  expectType<string>(ctx.trigger.payload.lastSeenAt)
  return { success: true, data: { incidentId: `inc_${ctx.trigger.payload.lastSeenAt}` } }
}, { replaySafe: true })
const chargeOrder = orderPlaced.action('charge_order', () => ({ success: true, data: { chargeId: 'ch_1' } }))
const sendEmail = action('send_email', () => ({ success: true, data: { messageId: 'm_1' } }))
const logSent = action('log_sent', () => undefined)
const sendSlack = action('send_slack', () => ({ success: true, data: { ts: '1' } }))
const isOrderBig = orderPlaced.condition('is_order_big', () => true)

// --- triggers and defs ---------------------------------------------------------------------
expectType<{ lastSeenAt: string; attempts?: number | undefined }>(null as unknown as PayloadOf<typeof heartbeatMissed>)
expectType<JsonObject>(null as unknown as PayloadOf<typeof untyped>)
expectType<false>(null as unknown as IsAny<PayloadOf<typeof heartbeatMissed>>)
expectType<'heartbeat.missed'>(heartbeatMissed.type)
expectAssignable<TriggerDef<string, unknown>>(heartbeatMissed)
expectAssignable<ActionDef<'create_incident', { lastSeenAt: string }, { incidentId: string }>>(createIncident)
expectAssignable<ActionDef>(createIncident)
expectAssignable<ConditionDef>(stillDown)
expectType<'send_email'>(sendEmail.name)
expectAssignable<AnyActionHandler>(createIncident.handler)

// A schema whose output is not valid input cannot describe a JSON payload.
expectError(trigger('bad.transform', { source: 's', payload: z.object({ at: z.string().transform((s) => new Date(s)) }) }))
expectError(trigger('bad.scalar', { source: 's', payload: z.string() }))
expectError(trigger('bad.date', { source: 's', payload: z.object({ at: z.date() }) }))
expectError(trigger('bad.bigint', { source: 's', payload: z.object({ list: z.array(z.object({ n: z.bigint() })) }) }))
// The same, nested in arrays, optional or defaulted fields and catchalls.
expectError(trigger('bad.nested.transform', { source: 's', payload: z.object({ a: z.array(z.object({ n: z.string().transform(Number) })) }) }))
expectError(trigger('bad.defaulted.transform', { source: 's', payload: z.object({ n: z.string().transform(Number).default(1) }) }))
expectError(trigger('bad.optional.date', { source: 's', payload: z.object({ a: z.object({ at: z.date().optional().nullable() }) }) }))
expectError(trigger('bad.catchall', { source: 's', payload: z.object({ a: z.string() }).catchall(z.date()) }))
expectError(trigger('bad.array.bigint', { source: 's', payload: z.object({ a: z.array(z.bigint()).default([]) }) }))
// Defaults and coercion are fine: the output is still valid input and plain JSON.
expectAssignable<TriggerDef>(trigger('ok.default', { source: 's', payload: z.object({ n: z.number().default(1), c: z.coerce.number(), meta: z.record(z.string(), z.unknown()) }) }))

// A plain action sees a JSON object payload, never any.
action('reads_payload', (ctx) => {
  expectType<JsonObject>(ctx.trigger.payload)
  expectType<unknown>(ctx.trigger.payload.anything)
  expectType<false>(notAny(ctx.trigger.payload))
})

// --- order of calls ------------------------------------------------------------------------
expectError(workflow('wf').do(sendEmail))
expectError(workflow('wf').when(stillDown))
expectError(workflow('wf').delay('5m'))
expectError(workflow('wf').parallel)
expectError(workflow('wf').compile())
expectError(workflow('wf').on(heartbeatMissed).compile())
expectError(workflow('wf').on(heartbeatMissed).on(orderPlaced))
expectType<WorkflowSpec>(workflow('wf').on(heartbeatMissed).do(sendEmail).compile())
expectAssignable<AnyWorkflow>(workflow('wf').on(heartbeatMissed).delay('1s'))
expectNotAssignable<AnyWorkflow>(workflow('wf').on(heartbeatMissed))
expectNotAssignable<AnyWorkflow>(workflow('wf'))
expectError(compile(workflow('wf').on(heartbeatMissed)))

// --- handler context typing ----------------------------------------------------------------
const wf = workflow('incident').config({ severity: 'high' }).on(heartbeatMissed).delay('5m').when(stillDown).do(createIncident)

wf.do('notify_oncall', (ctx) => {
  expectType<string>(ctx.trigger.payload.lastSeenAt)
  expectType<false>(notAny(ctx.trigger.payload.lastSeenAt))
  expectType<string>(ctx.steps.create_incident.incidentId)
  expectType<false>(notAny(ctx.steps))
  expectType<string>(ctx.config.severity)
  expectType<false>(notAny(ctx.config))
  expectError(ctx.trigger.payload.notDeclared)
  expectError(ctx.steps.notify_oncall)
  expectError(ctx.config.missing)
})

// Steps only see outputs of steps before them.
workflow('wf').on(heartbeatMissed).do('first', (ctx) => {
  expectError(ctx.steps.create_incident)
}).do(createIncident)

// An action without data leaves an empty object for later steps.
wf.do(logSent).do('after', (ctx) => {
  expectType<Record<string, never>>(ctx.steps.log_sent)
})

// Handler return shapes.
expectError(wf.do('bad_shape', () => ({ ok: true })))
expectError(wf.do('bad_number', () => 42))
expectError(wf.do('bad_async', async () => ({ ok: true })))
expectError(wf.do('bad_data', () => ({ success: true, data: 'not an object' })))
expectError(wf.when('bad_condition', () => 'yes'))
expectAssignable<AnyWorkflow>(wf.do('void_ok', async () => {}))
expectAssignable<AnyWorkflow>(wf.when('async_ok', async () => false))

// Reusable handlers are checked against the workflow's trigger.
expectError(wf.do(chargeOrder))
expectError(wf.when(isOrderBig))
expectError(workflow('wf').on(untyped).do(createIncident))
expectAssignable<AnyWorkflow>(workflow('wf').on(orderPlaced).do(chargeOrder).when(isOrderBig).do(sendEmail))

// --- step names ------------------------------------------------------------------------------
expectError(wf.do(createIncident))
expectError(wf.do('create_incident', () => undefined))
expectError(wf.when(stillDown))
expectError(wf.when('service_still_down', () => true))
expectError(wf.delay('5m'))
expectError(wf.delay('1m', { name: 'wait_5m' }))
expectAssignable<AnyWorkflow>(wf.delay('5m', { name: 'second_wait' }))
expectError(wf.parallel('create_incident', (b) => b.do(sendEmail), (b) => b.do(sendSlack)))
// A branch step may not reuse an outer name, a sibling branch's name or the parallel step's name.
expectError(wf.parallel('p', (b) => b.do(createIncident), (b) => b.do(sendSlack)))
expectError(wf.parallel('p', (b) => b.do(sendEmail), (b) => b.do(sendEmail)))
expectError(wf.parallel('p', (b) => b.delay('1s', { name: 'p' }), (b) => b.do(sendSlack)))
expectError(wf.parallel('p', (b) => b, (b) => b.do(sendSlack)))
expectError(wf.parallel('p', (b) => b.do(sendSlack)))
// Two to four branches are typed one after the other; more are checked as a list, with the same rules.
expectError(wf.parallel('p', (b) => b.delay('1s'), (b) => b.delay('2s'), (b) => b.delay('3s'), (b) => b.delay('2s')))
expectError(wf.parallel('p', (b) => b.delay('1s'), (b) => b.delay('2s'), (b) => b))
expectAssignable<AnyWorkflow>(wf.parallel('p', (b) => b.delay('1s'), (b) => b.delay('2s'), (b) => b.delay('3s'), (b) => b.delay('4s'), (b) => b.do(sendSlack)))
expectError(wf.parallel('p', (b) => b.delay('1s'), (b) => b.delay('1s'), (b) => b.delay('3s'), (b) => b.delay('4s'), (b) => b.do(sendSlack)))
expectError(wf.parallel('p', (b) => b.delay('1s'), (b) => b.delay('2s'), (b) => b.delay('3s'), (b) => b.delay('4s'), (b) => b))

// --- durations -------------------------------------------------------------------------------
expectError(wf.delay('5 minutes'))
expectError(wf.do(sendEmail, { timeout: 'soon' }))
expectAssignable<DurationInput>('1h30m')
expectNotAssignable<DurationInput>('90 seconds')
expectType<number>(parseDuration('1h30m'))

// --- skips and parallel outputs --------------------------------------------------------------
wf.when('maybe', () => true, { onFalse: 'skip' })
  .do(sendEmail)
  .do('reads_skipped', (ctx) => {
    expectType<{ messageId: string } | undefined>(ctx.steps.send_email)
    expectType<{ incidentId: string }>(ctx.steps.create_incident)
  })

wf.parallel(
  'notify_all',
  (b) =>
    b.do(sendEmail).do('in_branch', (ctx) => {
      expectType<{ messageId: string }>(ctx.steps.send_email)
      expectType<string>(ctx.steps.create_incident.incidentId)
      expectError(ctx.steps.send_slack)
    }),
  (b) => b.when('wants_slack', () => true).do(sendSlack),
).do('after_parallel', (ctx) => {
  expectType<{ messageId: string }>(ctx.steps.send_email)
  expectType<{ ts: string } | undefined>(ctx.steps.send_slack)
})

wf.parallel('five', (b) => b.do(sendEmail), (b) => b.delay('1s'), (b) => b.delay('2s'), (b) => b.delay('3s'), (b) => b.when('gate', () => true).do(sendSlack)).do(
  'after_five',
  (ctx) => {
    expectType<{ messageId: string }>(ctx.steps.send_email)
    expectType<{ ts: string } | undefined>(ctx.steps.send_slack)
  },
)

// --- registrations ---------------------------------------------------------------------------
const registrations = collectRegistrations(wf)
expectType<TriggerDef<string, unknown>>(registrations.trigger)
expectType<ActionDef[]>(registrations.actions)
expectType<ConditionDef[]>(registrations.conditions)
expectError(collectRegistrations(workflow('wf').on(heartbeatMissed)))
