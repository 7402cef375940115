import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  createEngine,
  PulseConfigError,
  PulseConflictError,
  PulseValidationError,
  trigger,
  workflow,
  type EmitResult,
  type Engine,
} from '../../src/index.js'
import { closeChildAndEngine, startChildEngineFor, type ChildEngine } from '../support/child-engine.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { MODE, servicesMissing } from '../support/services.js'

const invoicePaid = trigger('invoice.paid', {
  source: 'billing',
  payload: z.object({ amount: z.number(), currency: z.string().default('EUR') }),
})
const receipt = workflow('send-receipt').on(invoicePaid).do('send_receipt', () => undefined)
const ledger = workflow('book-payment').on(invoicePaid).do('book_payment', () => undefined)

describe.skipIf(servicesMissing())('idempotent emits', () => {
  let t: TestEngine
  let engine: Engine
  let tenants = 0

  beforeAll(async () => {
    t = await startTestEngine()
    engine = t.engine
    engine.register(receipt, ledger)
    engine.registerTrigger('refund.issued', { source: 'billing' })
  })
  afterAll(() => t.close())

  const table = (name: string) => `"${t.tablePrefix}${name}"`
  const count = async (name: string, tenantId: string) =>
    (await t.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table(name)} WHERE tenant_id = $1`, [tenantId])).rows[0]!.n
  const written = async (tenantId: string) => ({
    signals: await count('triggers', tenantId),
    runs: await count('workflow_runs', tenantId),
    keys: await count('idempotency_keys', tenantId),
  })
  async function newTenant(): Promise<string> {
    const tenantId = `tenant_${++tenants}`
    await engine.sync({ tenantId, workflows: [receipt, ledger] })
    return tenantId
  }

  it('lists the runs an emit started, with the workflow key (null for a key-less definition), and deduplicated: false', async () => {
    const tenantId = await newTenant()
    const keyless = await engine.createWorkflow({ tenantId, name: 'audit', triggerType: 'invoice.paid', steps: [{ type: 'action', name: 'send_receipt' }], config: {}, isEnabled: true })
    const result = await engine.emit(invoicePaid, { tenantId, payload: { amount: 10 } })
    const stored = await engine.getRunsByTrigger(result.id)
    expect(result.deduplicated).toBe(false)
    expect(result.runs).toEqual(
      stored
        .map((run) => ({ runId: run.id, workflowKey: run.definitionSnapshot.key, definitionId: run.definitionId }))
        .sort((a, b) => (a.runId < b.runId ? -1 : 1)),
    )
    expect(new Set(result.runs.map((r) => r.workflowKey))).toEqual(new Set(['book-payment', 'send-receipt', null]))
    expect(result.runs.find((r) => r.workflowKey === null)?.definitionId).toBe(keyless.id)
    expect(await engine.getTrigger(result.id)).toEqual({ id: result.id, tenantId, source: 'billing', type: 'invoice.paid', payload: { amount: 10, currency: 'EUR' }, createdAt: result.createdAt, skipped: [] })
    expect((await written(tenantId)).keys).toBe(0)
  })

  it('returns the first signal and its runs with deduplicated: true for a repeat of the key, typed, untyped or scoped, and writes nothing', async () => {
    const tenantId = await newTenant()
    const first = await engine.emit(invoicePaid, { tenantId, resourceId: 'inv_1', payload: { amount: 10 }, idempotencyKey: 'delivery-1' })
    expect(first).toMatchObject({ deduplicated: false, tenantId, resourceId: 'inv_1', payload: { amount: 10, currency: 'EUR' } })
    expect(first.runs).toHaveLength(2)
    const before = await written(tenantId)
    expect(before).toEqual({ signals: 1, runs: 2, keys: 1 })

    // The same signal once the schema has parsed it: the default filled in explicitly is no change.
    const typed = await engine.emit(invoicePaid, { tenantId, resourceId: 'inv_1', payload: { amount: 10, currency: 'EUR' }, idempotencyKey: 'delivery-1' })
    const untyped = await engine.emit({ tenantId, type: 'invoice.paid', resourceId: 'inv_1', payload: { amount: 10 }, idempotencyKey: 'delivery-1' })
    const scoped = await engine.forTenant(tenantId).emit(invoicePaid, { resourceId: 'inv_1', payload: { amount: 10 }, idempotencyKey: 'delivery-1' })
    for (const repeat of [typed, untyped, scoped]) expect(repeat).toEqual({ ...first, deduplicated: true })
    expect(await written(tenantId)).toEqual(before)
    for (const run of first.runs) expect((await waitForRun(engine, run.runId)).status).toBe('completed')

    // Keys are per tenant.
    const other = await newTenant()
    const elsewhere = await engine.emit(invoicePaid, { tenantId: other, resourceId: 'inv_1', payload: { amount: 10 }, idempotencyKey: 'delivery-1' })
    expect(elsewhere.deduplicated).toBe(false)
    expect(elsewhere.id).not.toBe(first.id)
  })

  it('refuses the same key with another payload, resource or type with IDEMPOTENCY_KEY_REUSED, and writes nothing', async () => {
    const tenantId = await newTenant()
    const first = await engine.emit(invoicePaid, { tenantId, payload: { amount: 10 }, idempotencyKey: 'k' })
    const before = await written(tenantId)
    const { rows: keyBefore } = await t.pool.query(`SELECT trigger_id, request_hash, created_at FROM ${table('idempotency_keys')} WHERE tenant_id = $1`, [tenantId])
    const changes = [
      () => engine.emit(invoicePaid, { tenantId, payload: { amount: 11 }, idempotencyKey: 'k' }),
      () => engine.emit(invoicePaid, { tenantId, payload: { amount: 10, currency: 'USD' }, idempotencyKey: 'k' }),
      () => engine.emit(invoicePaid, { tenantId, resourceId: 'inv_2', payload: { amount: 10 }, idempotencyKey: 'k' }),
      () => engine.emit(invoicePaid, { tenantId, environment: 'staging', payload: { amount: 10 }, idempotencyKey: 'k' }),
      () => engine.emit({ tenantId, type: 'invoice.paid', source: 'other-system', payload: { amount: 10 }, idempotencyKey: 'k' }),
      () => engine.emit({ tenantId, type: 'refund.issued', payload: { amount: 10, currency: 'EUR' }, idempotencyKey: 'k' }),
    ]
    for (const change of changes) {
      const err = await change().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PulseConflictError)
      expect(err).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', triggerId: first.id })
      expect((err as Error).message).toContain(`idempotency key "k" of tenant "${tenantId}" was used for signal ${first.id}`)
      expect((err as Error).message).toContain('use a new key for a new signal')
    }
    expect(await written(tenantId)).toEqual(before)
    const { rows: keyAfter } = await t.pool.query(`SELECT trigger_id, request_hash, created_at FROM ${table('idempotency_keys')} WHERE tenant_id = $1`, [tenantId])
    expect(keyAfter).toEqual(keyBefore)
  })

  it('takes a repeat as a repeat when only a default computed per call differs in the stored signal', async () => {
    const tenantId = await newTenant()
    const stamped = trigger('delivery.received', { source: 'webhooks', payload: z.object({ id: z.string(), receivedAt: z.string().default(() => `${Date.now()}-${Math.random()}`) }) })
    engine.register(workflow('on-delivery').on(stamped).do('record_delivery', () => undefined))
    const first = await engine.emit(stamped, { tenantId, payload: { id: 'd1' }, idempotencyKey: 'evt_1' })
    const again = await engine.emit(stamped, { tenantId, payload: { id: 'd1' }, idempotencyKey: 'evt_1' })
    expect(again).toMatchObject({ id: first.id, deduplicated: true })
    const changed = await engine.emit(stamped, { tenantId, payload: { id: 'd2' }, idempotencyKey: 'evt_1' }).catch((e: unknown) => e)
    expect(changed).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' })
  })

  it('refuses an empty key, a key over 200 characters or one that is not a string, naming idempotencyKey, and writes nothing', async () => {
    const tenantId = await newTenant()
    for (const idempotencyKey of ['', 'k'.repeat(201), 42 as unknown as string, 'a\u0000b', 'pulse:run_1:0:invoice.paid:1']) {
      const err = await engine.emit(invoicePaid, { tenantId, payload: { amount: 1 }, idempotencyKey }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PulseValidationError)
      expect((err as PulseValidationError).issues).toEqual([expect.objectContaining({ path: ['idempotencyKey'] })])
    }
    expect(await written(tenantId)).toEqual({ signals: 0, runs: 0, keys: 0 })
    expect((await engine.emit(invoicePaid, { tenantId, payload: { amount: 1 }, idempotencyKey: 'k'.repeat(200) })).deduplicated).toBe(false)
    for (const idempotencyWindowMs of [0, 1.5, -1, 31 * 86_400_000, Number.NaN]) {
      expect(() => createEngine({ dataDir: false, idempotencyWindowMs })).toThrow(PulseConfigError)
    }
  })

  it('uses a key afresh once it is older than idempotencyWindowMs', async () => {
    const tenantId = await newTenant()
    const windowMs = 2000
    const short = t.sibling({ idempotencyWindowMs: windowMs })
    short.register(receipt, ledger)
    const first = await short.emit(invoicePaid, { tenantId, payload: { amount: 1 }, idempotencyKey: 'k' })
    expect((await short.emit(invoicePaid, { tenantId, payload: { amount: 1 }, idempotencyKey: 'k' })).id).toBe(first.id)
    await eventually(
      async () => {
        const { rows } = await t.pool.query(`SELECT now() - created_at > $2::float8 * interval '1 millisecond' AS old FROM ${table('idempotency_keys')} WHERE tenant_id = $1`, [tenantId, windowMs])
        return rows[0]?.old === true ? true : undefined
      },
      15_000,
      'the key outliving its window',
    )
    // Expired, so even a different signal may take the key; the first one keeps its runs.
    const second = await short.emit(invoicePaid, { tenantId, payload: { amount: 2 }, idempotencyKey: 'k' })
    expect(second).toMatchObject({ deduplicated: false, payload: { amount: 2 } })
    expect(second.id).not.toBe(first.id)
    expect(second.runs).toHaveLength(2)
    expect(await written(tenantId)).toEqual({ signals: 2, runs: 4, keys: 1 })
    const err = await short.emit(invoicePaid, { tenantId, payload: { amount: 1 }, idempotencyKey: 'k' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', triggerId: second.id })
  })

  it('deletes keys older than the window, a batch per reconciler pass', async () => {
    const tenantId = await newTenant()
    const purging = t.sibling({ idempotencyWindowMs: 300, reconcileIntervalMs: 200 })
    purging.register(receipt, ledger)
    await purging.emit(invoicePaid, { tenantId, payload: { amount: 1 }, idempotencyKey: 'old' })
    expect((await written(tenantId)).keys).toBe(1)
    await purging.start()
    try {
      await eventually(async () => ((await written(tenantId)).keys === 0 ? true : undefined), 15_000, 'the expired key to be deleted')
      expect((await written(tenantId)).signals).toBe(1)
    } finally {
      // Its short window would expire the other tests' keys too: all engines on a database share one.
      await purging.stop()
    }
  })

  it('stores one signal and one set of runs for 100 concurrent emits of one key from two engines', async () => {
    const tenantId = await newTenant()
    const other = t.sibling()
    other.register(receipt, ledger)
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? engine : other).emit(invoicePaid, { tenantId, payload: { amount: 5 }, idempotencyKey: 'burst' })),
    )
    const winners = results.filter((r) => !r.deduplicated)
    expect(winners).toHaveLength(1)
    const winner = winners[0]!
    for (const r of results) expect(r).toEqual({ ...winner, deduplicated: r.deduplicated })
    expect(winner.runs).toHaveLength(2)
    expect(await written(tenantId)).toEqual({ signals: 1, runs: 2, keys: 1 })
    for (const run of winner.runs) expect((await waitForRun(engine, run.runId)).status).toBe('completed')
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM ${table('workflow_step_runs')} WHERE tenant_id = $1`, [tenantId])
    expect(rows[0].n).toBe(2)
  })

  it('stores one signal per key when two engines emit the same 50 keys at once in opposite orders', async () => {
    const tenantId = await newTenant()
    const other = t.sibling()
    other.register(receipt, ledger)
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`)
    const emitAll = (e: Engine, order: string[]) => order.map((idempotencyKey) => e.emit(invoicePaid, { tenantId, payload: { amount: 1 }, idempotencyKey }))
    const results = await Promise.all([...emitAll(engine, keys), ...emitAll(other, [...keys].reverse()), ...emitAll(engine, keys)])
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(keys.length)
    expect(new Set(results.map((r) => r.id)).size).toBe(keys.length)
    expect(await written(tenantId)).toEqual({ signals: keys.length, runs: 2 * keys.length, keys: keys.length })
  })

  it('makes ctx.emit idempotent across attempts: the same call returns the first signal, its own key with another payload is refused', async () => {
    const tenantId = `tenant_${++tenants}`
    const start = trigger('retry.start', { source: 'test' })
    const followUp = trigger('receipt.sent', { source: 'mailer', payload: z.object({ sentAt: z.string() }) })
    const seen: { attempt: number; first: EmitResult; second: EmitResult; own: EmitResult | unknown }[] = []
    const sender = workflow('emit-then-crash')
      .on(start)
      .do(
        'send_and_crash',
        async (ctx) => {
          // A payload computed anew in each attempt, as a timestamp would be.
          const sentAt = `attempt ${ctx.step.attempt}`
          const first = await ctx.emit(followUp, { payload: { sentAt } })
          const second = await ctx.emit(followUp, { resourceId: 'second', payload: { sentAt } })
          const own = await ctx.emit(followUp, { payload: { sentAt }, idempotencyKey: `own:${ctx.run.id}` }).catch((err: unknown) => err)
          seen.push({ attempt: ctx.step.attempt, first, second, own })
          if (ctx.step.attempt === 1) throw new Error('crashed after emitting')
        },
        { retry: { maxAttempts: 2, backoff: '100ms' } },
      )
    const receiver = workflow('receive-receipt').on(followUp).do('receive', () => undefined)
    engine.register(sender, receiver)
    await engine.sync({ tenantId, workflows: [sender, receiver] })

    const { runs } = await engine.emit(start, { tenantId, payload: {} })
    const ended = await waitForRun(engine, runs[0]!.runId)
    expect(ended.errorMessage ?? '').toBe('')
    expect(ended.status).toBe('completed')
    expect(seen.map((s) => s.attempt)).toEqual([1, 2])
    const [one, two] = seen as [(typeof seen)[0], (typeof seen)[0]]
    expect(one.first.deduplicated).toBe(false)
    expect(one.first.payload).toEqual({ sentAt: 'attempt 1' })
    expect(two.first).toEqual({ ...one.first, deduplicated: true })
    expect(two.second).toEqual({ ...one.second, deduplicated: true })
    expect(one.second.id).not.toBe(one.first.id)
    expect(two.own).toBeInstanceOf(PulseConflictError)

    // Three signals (two derived keys, one own key) and one receiving run each, not six.
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM ${table('triggers')} WHERE tenant_id = $1 AND type = 'receipt.sent'`, [tenantId])
    expect(rows[0].n).toBe(3)
    const received = await eventually(async () => {
      const list = await engine.listRuns({ tenantId, workflowKey: 'receive-receipt' })
      return list.length >= 3 ? list : undefined
    })
    expect(received).toHaveLength(3)
  })
})

describe.skipIf(servicesMissing())('ctx.emit in a step re-executed after its engine was SIGKILLed', () => {
  const RUNS = 3
  let t: TestEngine | undefined
  let child: ChildEngine | undefined
  afterEach(async () => {
    await closeChildAndEngine(child, t)
    child = undefined
    t = undefined
  })

  it('starts the chained runs once: the re-execution gets the signal the killed one stored', async () => {
    // A lease far beyond the test: the step can only come back through the dead engine's takeover.
    t = await startTestEngine({ leaseMs: 60_000, reconcileIntervalMs: 30_000 }, { start: false })
    const { engine, pool } = t
    const table = (name: string) => `"${t!.tablePrefix}${name}"`
    const survivor = t.sibling()
    engine.registerTrigger('job.posted', { source: 'app' })
    survivor.registerTrigger('chain.next', { source: 'test' })
    const reEmitted: EmitResult[] = []
    survivor.registerAction('emit_1', async (ctx) => {
      reEmitted.push(await ctx.emit({ tenantId: ctx.tenantId, type: 'chain.next', source: 'test', payload: { pid: process.pid, at: Date.now() } }))
    })
    survivor.registerAction('work_2', () => undefined)
    await engine.createWorkflow({ tenantId: 'w', name: 'emitter', triggerType: 'job.posted', steps: [{ type: 'action', name: 'emit_1' }], config: {}, isEnabled: true })
    const chained = await engine.createWorkflow({ tenantId: 'w', name: 'chained', triggerType: 'chain.next', steps: [{ type: 'action', name: 'work_2' }], config: {}, isEnabled: true })

    // The child takes every emitter step, emits, and is killed before the step is recorded.
    child = await startChildEngineFor(t, { concurrency: RUNS, leaseMs: 60_000, workerTimeoutMs: 1000 }, ['emit_1', 'work_2'])
    const emitted = await Promise.all(Array.from({ length: RUNS }, () => engine.emit({ tenantId: 'w', type: 'job.posted' })))
    const runIds = emitted.flatMap((e) => e.runs.map((r) => r.runId))
    expect(runIds).toHaveLength(RUNS)
    const firstSignals = await eventually(
      async () => {
        const { rows } = await pool.query<{ run_id: string; outcome: string }>(`SELECT run_id, outcome FROM ${table('executions')} WHERE outcome LIKE 'emitted:%' AND pid = $1`, [child!.pid])
        return rows.length >= RUNS ? new Map(rows.map((r) => [r.run_id, r.outcome.slice('emitted:'.length)])) : undefined
      },
      20_000,
      'the child engine emitting from every emitter step',
    )
    child.kill('SIGKILL')
    await child.exited
    await survivor.start()

    for (const id of runIds) expect((await waitForRun(engine, id, ['completed'], 20_000)).status).toBe('completed')
    // Each step ran again here, and each ctx.emit got back the signal the killed engine stored.
    expect(reEmitted).toHaveLength(RUNS)
    for (const result of reEmitted) expect(result.deduplicated).toBe(true)
    expect(new Set(reEmitted.map((r) => r.id))).toEqual(new Set(firstSignals.values()))

    const chainedRuns = await eventually(async () => {
      const { rows } = await pool.query<{ id: string }>(`SELECT id FROM ${table('workflow_runs')} WHERE definition_id = $1`, [chained.id])
      return rows.length >= RUNS ? rows : undefined
    })
    for (const { id } of chainedRuns) expect((await waitForRun(engine, id, ['completed'], 20_000)).status).toBe('completed')
    const { rows: totals } = await pool.query(
      `SELECT (SELECT count(*)::int FROM ${table('workflow_runs')} WHERE definition_id = $1) AS chained_runs,
              (SELECT count(*)::int FROM ${table('triggers')} WHERE type = 'chain.next') AS chained_signals`,
      [chained.id],
    )
    expect(totals[0]).toEqual({ chained_runs: RUNS, chained_signals: RUNS })
    await survivor.stop()
    console.info(`[emit-takeover ${MODE}] ${RUNS} steps re-executed after SIGKILL, ${RUNS} chained runs`)
  })
})
