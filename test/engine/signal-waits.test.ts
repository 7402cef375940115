import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Engine, WorkflowSpec, WorkflowStep } from '../../src/index.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const HOUR = 3_600_000

// One engine per group (starting one costs seconds in the embedded mode); each test has its own
// tenant, which is all a wait or a signal can see.
let tenants = 0

describe.skipIf(servicesMissing())('wait steps: a run waits for a later signal', () => {
  let t: TestEngine
  let engine: Engine
  let acme: string
  let seen: Record<string, unknown>[]

  beforeAll(async () => {
    t = await startTestEngine()
    engine = t.engine
    engine.registerTrigger('trial.expiring', { source: 'billing' })
    engine.registerTrigger('subscription.created', { source: 'billing' })
    engine.registerTrigger('subscription.failed', { source: 'billing' })
    engine.registerAction('after', (ctx) => {
      if (ctx.tenantId === acme) seen.push(ctx.steps as Record<string, unknown>)
      return { success: true }
    })
  })
  afterAll(() => t.close())
  beforeEach(() => {
    acme = `acme${++tenants}`
    seen = []
  })

  async function workflow(steps: WorkflowStep[], extra: Partial<WorkflowSpec> = {}, tenantId = acme) {
    return engine.createWorkflow({ tenantId, name: 'trial', triggerType: 'trial.expiring', steps, config: {}, isEnabled: true, ...extra })
  }
  const wait = (over: Partial<WorkflowStep> = {}): WorkflowStep => ({
    type: 'wait_for_signal',
    name: 'sub',
    signalTypes: ['subscription.created'],
    match: ['payload.accountId'],
    timeoutMs: HOUR,
    ...over,
  })
  async function start(accountId: string, tenantId = acme) {
    const trg = await engine.emit({ tenantId, type: 'trial.expiring', payload: { accountId } })
    const [run] = await engine.getRunsByTrigger(trg.id)
    return run!
  }
  const stepsOf = async (runId: string) => (await engine.getRunSteps(runId)).map((s) => [s.stepName, s.status])

  it('waits, ignores signals that do not match, and resumes with the matching one as its output', async () => {
    await workflow([wait(), { type: 'action', name: 'after' }])
    const run = await start('a1')
    await waitForRun(engine, run.id, ['waiting'])
    const others = [
      await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { accountId: 'a2' } }),
      await engine.emit({ tenantId: 'other', type: 'subscription.created', payload: { accountId: 'a1' } }),
      await engine.emit({ tenantId: acme, type: 'subscription.failed', payload: { accountId: 'a1' } }),
    ]
    for (const other of others) expect(other.resolvedWaits).toEqual([])
    expect((await engine.getRun(run.id))!.status).toBe('waiting')
    const matching = await engine.emit({ tenantId: acme, type: 'subscription.created', resourceId: 'sub_1', payload: { accountId: 'a1', plan: 'pro' } })
    expect(matching.resolvedWaits).toEqual([{ runId: run.id, stepName: 'sub' }])
    const done = await waitForRun(engine, run.id)
    expect(done.status).toBe('completed')
    expect(seen).toHaveLength(1)
    expect(seen[0]!.sub).toEqual({
      received: true,
      signal: { id: matching.id, type: 'subscription.created', payload: { accountId: 'a1', plan: 'pro' }, resourceId: 'sub_1', createdAt: matching.createdAt.toISOString() },
    })
    const timeline = await engine.getRunTimeline(run.id)
    const types = timeline.map((e) => e.type)
    expect(types).toContain('wait_started')
    expect(timeline.find((e) => e.type === 'signal_received')?.detail).toEqual({ signalId: matching.id })
    expect(types.indexOf('wait_started')).toBeLessThan(types.indexOf('signal_received'))
  })

  it('counts a signal stored after the run began but before the wait was reached', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    engine.registerAction('slow', async () => {
      await gate
      return { success: true }
    })
    await workflow([{ type: 'action', name: 'slow' }, wait(), { type: 'action', name: 'after' }])
    const run = await start('a1')
    await eventually(async () => ((await engine.getRunSteps(run.id))[0]?.status === 'running' ? true : undefined))
    const early = await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { accountId: 'a1' } })
    release()
    expect((await waitForRun(engine, run.id)).status).toBe('completed')
    expect((seen[0]!.sub as { signal: { id: string } }).signal.id).toBe(early.id)
  })

  it('does not count the signal that started the run, nor one stored before it', async () => {
    // Stored before the workflow existed, so before its run: it does not count.
    await engine.emit({ tenantId: acme, type: 'trial.expiring', payload: { accountId: 'a1' } })
    await workflow([wait({ signalTypes: ['trial.expiring'], timeoutMs: 300 }), { type: 'action', name: 'after' }])
    const run = await start('a1')
    expect((await waitForRun(engine, run.id)).status).toBe('completed')
    expect(seen[0]!.sub).toEqual({ received: false })
  })

  it('resolves on the first of several signal types, and says which one came', async () => {
    await workflow([wait({ signalTypes: ['subscription.created', 'subscription.failed'] }), { type: 'action', name: 'after' }])
    const run = await start('a1')
    await waitForRun(engine, run.id, ['waiting'])
    const failed = await engine.emit({ tenantId: acme, type: 'subscription.failed', payload: { accountId: 'a1', reason: 'card' } })
    await waitForRun(engine, run.id)
    expect(seen[0]!.sub).toMatchObject({ received: true, signal: { id: failed.id, type: 'subscription.failed', payload: { reason: 'card' } } })
  })

  it('lets one signal resolve waits in many runs, but only one wait per run', async () => {
    await workflow([wait({ name: 'first' }), wait({ name: 'second', timeoutMs: 400 }), { type: 'action', name: 'after' }])
    const runs = [await start('a1'), await start('a1'), await start('a1')]
    for (const run of runs) await waitForRun(engine, run.id, ['waiting'])
    const signal = await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { accountId: 'a1' } })
    for (const run of runs) expect((await waitForRun(engine, run.id)).status).toBe('completed')
    expect(seen).toHaveLength(3)
    for (const steps of seen) {
      expect(steps.first).toMatchObject({ received: true, signal: { id: signal.id } })
      // The second wait was reached after the signal, which the first had consumed.
      expect(steps.second).toEqual({ received: false })
    }
  })

  it('times out: continue goes on, fail fails the run naming the wait, complete ends the run', async () => {
    await workflow([wait({ timeoutMs: 200 }), { type: 'action', name: 'after' }], { name: 'continue' })
    const a = await start('a1')
    expect((await waitForRun(engine, a.id)).status).toBe('completed')
    expect(seen[0]!.sub).toEqual({ received: false })
    expect((await engine.getRunTimeline(a.id)).some((e) => e.type === 'wait_timed_out')).toBe(true)
  })

  it('fails the run on a timeout with onTimeout fail, and a retry waits again', async () => {
    await workflow([wait({ timeoutMs: 200, onTimeout: 'fail' }), { type: 'action', name: 'after' }])
    const run = await start('a1')
    const failed = await waitForRun(engine, run.id)
    expect(failed.status).toBe('failed')
    expect(failed.errorMessage).toContain('wait "sub" timed out')
    expect(seen).toHaveLength(0)
    await engine.retryRun(run.id)
    await waitForRun(engine, run.id, ['waiting'])
    await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { accountId: 'a1' } })
    expect((await waitForRun(engine, run.id)).status).toBe('completed')
    expect(seen[0]!.sub).toMatchObject({ received: true })
  })

  it('ends the run completed on a timeout with onTimeout complete, running nothing after the wait', async () => {
    await workflow([wait({ timeoutMs: 200, onTimeout: 'complete' }), { type: 'action', name: 'after' }])
    const run = await start('a1')
    expect((await waitForRun(engine, run.id)).status).toBe('completed')
    expect(seen).toHaveLength(0)
    expect(await stepsOf(run.id)).toEqual([['sub', 'completed']])
  })

  it('waits inside a parallel branch while the other branch runs', async () => {
    engine.registerAction('other', () => ({ success: true }))
    await workflow([
      { type: 'parallel', name: 'both', branches: [[wait()], [{ type: 'action', name: 'other' }]] },
      { type: 'action', name: 'after' },
    ])
    const run = await start('a1')
    await eventually(async () => ((await engine.getRunSteps(run.id)).find((s) => s.stepName === 'other')?.status === 'completed' ? true : undefined))
    await eventually(async () => ((await engine.getRunSteps(run.id)).find((s) => s.stepName === 'sub')?.status === 'scheduled' ? true : undefined))
    expect((await engine.getRun(run.id))!.status).toBe('running')
    await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { accountId: 'a1' } })
    expect((await waitForRun(engine, run.id)).status).toBe('completed')
    expect(seen[0]!.sub).toMatchObject({ received: true })
  })

  it('cancels a waiting run like a delay: the wait is skipped, a later signal changes nothing', async () => {
    await workflow([wait(), { type: 'action', name: 'after' }])
    const run = await start('a1')
    await waitForRun(engine, run.id, ['waiting'])
    await engine.cancelRun(run.id, 'customer left')
    const late = await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { accountId: 'a1' } })
    expect(late.resolvedWaits).toEqual([])
    expect((await engine.getRun(run.id))!.status).toBe('canceled')
    expect(await stepsOf(run.id)).toEqual([['sub', 'skipped']])
  })

  it('records a wait without waiting in a dry-run replay', async () => {
    await workflow([wait(), { type: 'action', name: 'after' }])
    const run = await start('a1')
    await waitForRun(engine, run.id, ['waiting'])
    const [dry] = await engine.replay(run.triggerId, { dryRun: true })
    expect(dry!.isReplay).toBe(true)
    expect((await waitForRun(engine, dry!.id)).status).toBe('completed')
    const [sub] = await engine.getRunSteps(dry!.id)
    expect(sub).toMatchObject({ stepName: 'sub', status: 'completed', result: { wouldWaitFor: ['subscription.created'], match: ['payload.accountId'] } })
  })

  it('reads array elements in match paths as Postgres does, negative from the end', async () => {
    await workflow([wait({ match: ['payload.items.0', 'payload.items.-1'] }), { type: 'action', name: 'after' }])
    const trg = await engine.emit({ tenantId: acme, type: 'trial.expiring', payload: { accountId: 'a1', items: ['first', 'last'] } })
    const [run] = await engine.getRunsByTrigger(trg.id)
    await waitForRun(engine, run!.id, ['waiting'])
    const none = await engine.emit({ tenantId: acme, type: 'subscription.created', payload: {} })
    const other = await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { items: ['first', 'other'] } })
    expect([none.resolvedWaits, other.resolvedWaits]).toEqual([[], []])
    const right = await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { items: ['first', 'middle', 'last'] } })
    expect(right.resolvedWaits).toEqual([{ runId: run!.id, stepName: 'sub' }])
    await waitForRun(engine, run!.id)
  })

  it('gives a signal to the next open wait of a run once the first has closed', async () => {
    await workflow([
      {
        type: 'parallel',
        name: 'both',
        branches: [[wait({ name: 'either', signalTypes: ['subscription.failed', 'subscription.created'] })], [wait({ name: 'created' })]],
      },
      { type: 'action', name: 'after' },
    ])
    const run = await start('a1')
    await eventually(async () => ((await engine.getRunSteps(run.id)).filter((s) => s.stepType === 'wait_for_signal' && s.status === 'scheduled').length === 2 ? true : undefined))
    const failed = await engine.emit({ tenantId: acme, type: 'subscription.failed', payload: { accountId: 'a1' } })
    expect(failed.resolvedWaits).toEqual([{ runId: run.id, stepName: 'either' }])
    const created = await engine.emit({ tenantId: acme, type: 'subscription.created', payload: { accountId: 'a1' } })
    expect(created.resolvedWaits).toEqual([{ runId: run.id, stepName: 'created' }])
    expect((await waitForRun(engine, run.id)).status).toBe('completed')
  })

  it('matches on resourceId and environment as well as payload fields', async () => {
    await workflow([wait({ match: ['resourceId', 'environment'] }), { type: 'action', name: 'after' }])
    const trg = await engine.emit({ tenantId: acme, type: 'trial.expiring', resourceId: 'acc_1', environment: 'prod', payload: { accountId: 'a1' } })
    const [run] = await engine.getRunsByTrigger(trg.id)
    await waitForRun(engine, run!.id, ['waiting'])
    await engine.emit({ tenantId: acme, type: 'subscription.created', resourceId: 'acc_1', environment: 'staging', payload: {} })
    await engine.emit({ tenantId: acme, type: 'subscription.created', resourceId: 'acc_2', environment: 'prod', payload: {} })
    const right = await engine.emit({ tenantId: acme, type: 'subscription.created', resourceId: 'acc_1', environment: 'prod', payload: {} })
    await waitForRun(engine, run!.id)
    expect(seen[0]!.sub).toMatchObject({ signal: { id: right.id } })
  })
})

describe.skipIf(servicesMissing())('cancel on a signal', () => {
  let t: TestEngine
  let engine: Engine
  let acme: string

  beforeAll(async () => {
    t = await startTestEngine()
    engine = t.engine
    engine.registerTrigger('invoice.overdue', { source: 'billing' })
    engine.registerTrigger('invoice.paid', { source: 'billing' })
    engine.registerAction('remind', () => ({ success: true }))
  })
  afterAll(() => t.close())

  beforeEach(async () => {
    acme = `acme${++tenants}`
    await engine.createWorkflow({
      tenantId: acme,
      name: 'dunning',
      triggerType: 'invoice.overdue',
      cancelOn: [{ signalType: 'invoice.paid', match: ['payload.invoiceId'] }],
      steps: [{ type: 'delay', name: 'grace', delayMs: HOUR }, { type: 'action', name: 'remind' }],
      config: {},
      isEnabled: true,
    })
  })

  async function start(invoiceId: string) {
    const trg = await engine.emit({ tenantId: acme, type: 'invoice.overdue', payload: { invoiceId } })
    return (await engine.getRunsByTrigger(trg.id))[0]!
  }

  it('cancels the matching active run with a reason naming the signal, and only that run', async () => {
    const one = await start('inv_1')
    const two = await start('inv_2')
    await waitForRun(engine, one.id, ['waiting'])
    const paid = await engine.emit({ tenantId: acme, type: 'invoice.paid', payload: { invoiceId: 'inv_1' } })
    expect(paid.canceledRuns).toEqual([{ runId: one.id, workflowKey: null }])
    const canceled = await waitForRun(engine, one.id, ['canceled'])
    expect(canceled.cancelReason).toContain('invoice.paid')
    expect(canceled.cancelReason).toContain(paid.id)
    expect((await engine.getRun(two.id))!.status).toBe('waiting')
    expect((await engine.getRunSteps(one.id)).map((s) => s.status)).toEqual(['skipped'])
  })

  it('cancels a replayed run too, by a signal stored after the replay', async () => {
    const run = await start('inv_7')
    await waitForRun(engine, run.id, ['waiting'])
    await engine.cancelRun(run.id)
    const [replayed] = await engine.replay(run.triggerId)
    await waitForRun(engine, replayed!.id, ['waiting'])
    const paid = await engine.emit({ tenantId: acme, type: 'invoice.paid', payload: { invoiceId: 'inv_7' } })
    expect(paid.canceledRuns).toEqual([{ runId: replayed!.id, workflowKey: null }])
  })

  it('does not cancel a run started after the signal', async () => {
    await engine.emit({ tenantId: acme, type: 'invoice.paid', payload: { invoiceId: 'inv_1' } })
    const run = await start('inv_1')
    await waitForRun(engine, run.id, ['waiting'])
    // Both deliveries are done once emit returns.
    expect((await engine.getRun(run.id))!.status).toBe('waiting')
  })

  it('leaves an ended run alone', async () => {
    await engine.createWorkflow({
      tenantId: acme,
      name: 'quick',
      triggerType: 'invoice.overdue',
      cancelOn: [{ signalType: 'invoice.paid', match: ['payload.invoiceId'] }],
      steps: [{ type: 'action', name: 'remind' }],
      config: {},
      isEnabled: true,
    })
    const trg = await engine.emit({ tenantId: acme, type: 'invoice.overdue', payload: { invoiceId: 'inv_3' } })
    const runs = await engine.getRunsByTrigger(trg.id)
    const quick = runs.find((r) => r.definitionSnapshot.name === 'quick')!
    await waitForRun(engine, quick.id)
    await engine.emit({ tenantId: acme, type: 'invoice.paid', payload: { invoiceId: 'inv_3' } })
    const slow = runs.find((r) => r.definitionSnapshot.name === 'dunning')!
    await waitForRun(engine, slow.id, ['canceled'])
    expect((await engine.getRun(quick.id))!.status).toBe('completed')
  })
})

describe.skipIf(servicesMissing())('waits under races and crashes', () => {
  let t: TestEngine
  let engine: Engine

  beforeEach(async () => {
    t = await startTestEngine({ concurrency: 20 })
    engine = t.engine
    engine.registerTrigger('order.placed', { source: 'shop' })
    engine.registerTrigger('order.paid', { source: 'shop' })
    engine.registerAction('ship', () => ({ success: true }))
    await engine.createWorkflow({
      tenantId: 'acme',
      name: 'ship-when-paid',
      triggerType: 'order.placed',
      steps: [
        { type: 'wait_for_signal', name: 'paid', signalTypes: ['order.paid'], match: ['payload.orderId'], timeoutMs: HOUR },
        { type: 'action', name: 'ship' },
      ],
      config: {},
      isEnabled: true,
    })
  })
  afterEach(() => t.close())

  const PAIRS = 1000

  it(`races ${PAIRS} emits against the registration of the waits they resolve: none is missed, none consumed twice`, async () => {
    const runIds: string[] = []
    const paidIds = new Map<string, string[]>()
    for (let i = 0; i < PAIRS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, PAIRS - i) }, async (_, j) => {
          const orderId = `o${i + j}`
          const placed = await engine.emit({ tenantId: 'acme', type: 'order.placed', payload: { orderId } })
          const [run] = await engine.getRunsByTrigger(placed.id)
          runIds.push(run!.id)
          // Two matching signals at once, while a worker reaches the wait: exactly one resolves it.
          const paid = await Promise.all([0, 1].map(() => engine.emit({ tenantId: 'acme', type: 'order.paid', payload: { orderId } })))
          paidIds.set(run!.id, paid.map((p) => p.id))
        }),
      )
    }
    await eventually(
      async () => {
        const { rows } = await t.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${t.tablePrefix}workflow_runs" WHERE status = 'completed'`)
        return Number(rows[0]!.n) === PAIRS ? true : undefined
      },
      120_000,
      `all ${PAIRS} runs to complete`,
    )
    const { rows } = await t.pool.query<{ run_id: string; status: string; signal_id: string }>(`SELECT run_id, status, signal_id FROM "${t.tablePrefix}signal_waits"`)
    expect(rows).toHaveLength(PAIRS)
    for (const row of rows) {
      expect(row.status).toBe('received')
      expect(paidIds.get(row.run_id)).toContain(row.signal_id)
    }
    expect(new Set(rows.map((r) => r.signal_id)).size).toBe(PAIRS)
    expect(new Set(runIds).size).toBe(PAIRS)
  }, 240_000)

  it('delivers a signal whose emitter stopped between storing it and delivering it', async () => {
    const placed = await engine.emit({ tenantId: 'acme', type: 'order.placed', payload: { orderId: 'o1' } })
    const [run] = await engine.getRunsByTrigger(placed.id)
    await waitForRun(engine, run!.id, ['waiting'])
    // What a process killed right after the signal's statement committed leaves behind.
    await t.pool.query(
      `WITH s AS (
         INSERT INTO "${t.tablePrefix}triggers" (id, tenant_id, source, type, payload) VALUES ('trg_crashed', 'acme', 'shop', 'order.paid', '{"orderId":"o1"}') RETURNING *
       )
       INSERT INTO "${t.tablePrefix}signal_deliveries" (trigger_id, tenant_id, created_at) SELECT id, tenant_id, now() - interval '1 minute' FROM s`,
    )
    expect((await waitForRun(engine, run!.id, ['completed'], 30_000)).status).toBe('completed')
    const { rows } = await t.pool.query(`SELECT * FROM "${t.tablePrefix}signal_deliveries"`)
    expect(rows).toEqual([])
  })
})
