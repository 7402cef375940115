import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, PulseConfigError, PulseError } from '../../src/index.js'
import { eventually, sleep, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { MODE, servicesMissing } from '../support/services.js'

describe.skipIf(servicesMissing())('durability: several engines, lost jobs, shutdown, migrations', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('runs every step exactly once with two engines on one database and queue', async () => {
    t = await startTestEngine({ concurrency: 8 })
    const second = t.sibling({ concurrency: 8 })
    const executions = new Map<string, number>()
    for (const engine of [t.engine, second]) {
      engine.registerTrigger('order.placed', { source: 'shop' })
      for (const name of ['reserve', 'charge', 'ship']) {
        engine.registerAction(name, (ctx) => {
          const key = `${ctx.run.id}:${name}`
          executions.set(key, (executions.get(key) ?? 0) + 1)
          return { success: true, data: { by: name } }
        })
      }
    }
    await second.start()
    await t.engine.createWorkflow({
      tenantId: 'shop_1',
      name: 'fulfil',
      triggerType: 'order.placed',
      steps: [{ type: 'action', name: 'reserve' }, { type: 'action', name: 'charge' }, { type: 'action', name: 'ship' }],
      config: {},
      isEnabled: true,
    })
    const triggers = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? t!.engine : second).emit({ tenantId: 'shop_1', type: 'order.placed' })))
    const runIds = (await Promise.all(triggers.map((trg) => t!.engine.getRunsByTrigger(trg.id)))).flat().map((r) => r.id)
    expect(runIds).toHaveLength(60)
    for (const id of runIds) expect((await waitForRun(t.engine, id)).status).toBe('completed')
    expect(executions.size).toBe(180)
    expect([...executions.values()].every((n) => n === 1)).toBe(true)
    const { rows } = await t.pool.query(
      `SELECT count(*)::int AS steps, count(*) FILTER (WHERE status = 'completed')::int AS completed FROM "${t.tablePrefix}workflow_step_runs"`,
    )
    expect(rows[0]).toEqual({ steps: 180, completed: 180 })
  })

  it('finishes a run whose queue jobs were lost, from the state in Postgres', async () => {
    t = await startTestEngine({ reconcileIntervalMs: 300 }, { start: false })
    const { engine } = t
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('only_step', () => ({ success: true, data: { ok: true } }))
    await engine.createWorkflow({ tenantId: 'w', name: 'w', triggerType: 'x.happened', steps: [{ type: 'action', name: 'only_step' }], config: {}, isEnabled: true })
    const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
    expect(await t.loseQueuedJobs()).toBeGreaterThan(0)
    await engine.start()
    const [run] = await engine.getRunsByTrigger(trg.id)
    expect((await waitForRun(engine, run!.id, undefined, 10_000)).status).toBe('completed')
  })

  it('ignores the late write of a worker whose step was taken over (fenced by attempt)', async () => {
    t = await startTestEngine({ leaseMs: 1000, reconcileIntervalMs: 300 })
    const { engine } = t
    let calls = 0
    let releaseFirst!: () => void
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('contended', async () => {
      calls += 1
      if (calls === 1) {
        // The first attempt stalls well past its lease without heartbeats reaching the database.
        await new Promise<void>((resolve) => (releaseFirst = resolve))
        return { success: true, data: { winner: 'stale' } }
      }
      return { success: true, data: { winner: 'fresh' } }
    })
    await engine.createWorkflow({ tenantId: 'w', name: 'w', triggerType: 'x.happened', steps: [{ type: 'action', name: 'contended' }], config: {}, isEnabled: true })
    const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
    const [run] = await engine.getRunsByTrigger(trg.id)
    await eventually(() => (calls === 1 ? true : undefined))
    // Keep expiring the first claim's lease, as a frozen process that sends no heartbeat would,
    // until the reconciler hands the step to a new attempt.
    await eventually(async () => {
      const { rows } = await t!.pool.query(
        `UPDATE "${t!.tablePrefix}workflow_step_runs" SET locked_until = now() - interval '1 second'
         WHERE run_id = $1 AND attempt = 1 AND status = 'running' RETURNING id`,
        [run!.id],
      )
      return rows.length === 0 ? true : undefined
    })
    const done = await waitForRun(engine, run!.id)
    expect(done.context).toEqual({ contended: { winner: 'fresh' } })
    releaseFirst()
    await sleep(300)
    const after = await engine.getRun(run!.id)
    expect(after!.context).toEqual({ contended: { winner: 'fresh' } })
    const [step] = await engine.getRunSteps(run!.id)
    expect(step!.attempt).toBe(2)
  })

  it('keeps the claim of a handler that outlives its lease, and aborts it when another engine cancels the run', async () => {
    t = await startTestEngine({ leaseMs: 1000, reconcileIntervalMs: 200 })
    const { engine } = t
    const other = t.sibling()
    const calls: string[] = []
    let abortReason: string | undefined
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('long', async () => {
      calls.push('long')
      await sleep(3_000)
      return { success: true }
    })
    engine.registerAction('until_aborted', async (ctx) => {
      calls.push('until_aborted')
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
      abortReason = String((ctx.signal.reason as Error).message)
      return { success: true }
    })
    await engine.createWorkflow({
      tenantId: 'w',
      name: 'w',
      triggerType: 'x.happened',
      steps: [
        { type: 'action', name: 'long' },
        { type: 'action', name: 'until_aborted' },
      ],
      config: {},
      isEnabled: true,
    })
    const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
    const [run] = await engine.getRunsByTrigger(trg.id)
    // Three leases long: without heartbeats the reconciler would hand the step to another attempt.
    await eventually(async () => ((await engine.getRunSteps(run!.id))[1]?.status === 'running' ? true : undefined), 10_000, 'the second step')
    expect((await engine.getRunSteps(run!.id))[0]).toMatchObject({ status: 'completed', attempt: 1 })
    // The cancel happens in a process that is not running the handler: only the heartbeat tells it.
    await other.cancelRun(run!.id, 'not needed')
    await eventually(() => abortReason, 5_000, 'the abort of the running handler')
    expect(abortReason).toBe('the run was canceled')
    expect(calls).toEqual(['long', 'until_aborted'])
    expect((await engine.getRun(run!.id))!.status).toBe('canceled')
  })

  it('hands back unfinished steps on stop(), after letting aborted handlers return, so another engine finishes them', async () => {
    // The engine that stops is a sibling: in embedded mode the first engine owns the database.
    t = await startTestEngine({}, { start: false })
    const { engine } = t
    const stopping = t.sibling({ shutdownGraceMs: 300 })
    const aborts: string[] = []
    const finishedBy: string[] = []
    stopping.registerTrigger('x.happened', { source: 'app' })
    stopping.registerAction('slow_step', async (ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
      // Cleanup that takes a while: stop() must not return (and close the pools) before it ends.
      await new Promise((resolve) => setTimeout(resolve, 150))
      aborts.push(String((ctx.signal.reason as Error).message))
      return { success: true, data: { by: 'stopping' } }
    })
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('slow_step', () => {
      finishedBy.push('successor')
      return { success: true, data: { by: 'successor' } }
    })
    await engine.createWorkflow({ tenantId: 'w', name: 'w', triggerType: 'x.happened', steps: [{ type: 'action', name: 'slow_step' }], config: {}, isEnabled: true })
    await stopping.start()
    const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
    const [run] = await engine.getRunsByTrigger(trg.id)
    await eventually(async () => ((await engine.getRunSteps(run!.id))[0]?.status === 'running' ? true : undefined))
    await stopping.stop()
    expect(aborts).toEqual(['the engine is shutting down'])
    const [released] = await engine.getRunSteps(run!.id)
    expect(released).toMatchObject({ status: 'pending', attempt: 0 })
    await engine.start()
    const done = await waitForRun(engine, run!.id, undefined, 5000)
    expect(done.context).toEqual({ slow_step: { by: 'successor' } })
    expect(finishedBy).toEqual(['successor'])
  })

  it('settles a failed run whose branch step was left running by a dead worker, and a retry finishes it', async () => {
    t = await startTestEngine({ reconcileIntervalMs: 300 })
    const { engine } = t
    let broken = true
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('fails_first', () => (broken ? { success: false, error: 'down' } : undefined))
    engine.registerAction('other_branch', () => undefined)
    await engine.createWorkflow({
      tenantId: 'w',
      name: 'w',
      triggerType: 'x.happened',
      steps: [{ type: 'parallel', name: 'fan', branches: [[{ type: 'action', name: 'fails_first' }], [{ type: 'action', name: 'other_branch' }]] }],
      config: {},
      isEnabled: true,
    })
    const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
    const [run] = await engine.getRunsByTrigger(trg.id)
    expect((await waitForRun(engine, run!.id)).status).toBe('failed')
    // What a worker that died mid-handler after the run failed leaves behind: a running step
    // whose lease has run out.
    await t.pool.query(
      `UPDATE "${t.tablePrefix}workflow_step_runs" SET status = 'running', completed_at = NULL, locked_until = now() - interval '1 second'
       WHERE run_id = $1 AND step_name = 'other_branch'`,
      [run!.id],
    )
    const stopped = await eventually(async () => {
      const step = (await engine.getRunSteps(run!.id)).find((s) => s.stepName === 'other_branch')
      return step?.status === 'skipped' ? step : undefined
    }, 5000)
    expect(stopped.errorMessage).toMatch(/^stopped: /)
    broken = false
    await engine.retryRun(run!.id)
    expect((await waitForRun(engine, run!.id)).status).toBe('completed')
  })

  it('works again after stop() and start() on the same engine', async () => {
    t = await startTestEngine()
    const { engine } = t
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('again', () => ({ success: true, data: { ok: true } }))
    const define = () =>
      engine.createWorkflow({ tenantId: 'w', name: 'w', triggerType: 'x.happened', steps: [{ type: 'action', name: 'again' }], config: {}, isEnabled: true })
    await define()
    const runOnce = async () => {
      const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
      const [run] = await engine.getRunsByTrigger(trg.id)
      return (await waitForRun(engine, run!.id)).status
    }
    expect(await runOnce()).toBe('completed')
    await engine.stop()
    if (MODE === 'embedded') {
      // An in-memory embedded database lives as long as the engine runs: stop() ends it.
      await engine.migrate()
      await define()
    }
    await engine.start()
    expect(await runOnce()).toBe('completed')
  })

  it('keeps running a workflow when lifecycle hooks throw or never return', async () => {
    t = await startTestEngine({
      onStepComplete: () => {
        throw new Error('hook exploded')
      },
      onRunComplete: () => new Promise<void>(() => undefined),
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    })
    const { engine } = t
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('one', () => undefined)
    engine.registerAction('two', () => undefined)
    await engine.createWorkflow({ tenantId: 'w', name: 'w', triggerType: 'x.happened', steps: [{ type: 'action', name: 'one' }, { type: 'action', name: 'two' }], config: {}, isEnabled: true })
    const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
    const [run] = await engine.getRunsByTrigger(trg.id)
    expect((await waitForRun(engine, run!.id)).status).toBe('completed')
  })

  it('migrates once when several processes migrate at the same moment', async () => {
    t = await startTestEngine({}, { start: false })
    const prefix = `mig${Date.now().toString(36)}_`
    // migrate() touches only the database, so these engines never open a queue.
    const engines = Array.from({ length: 5 }, () => createEngine({ db: t!.pool, tablePrefix: prefix }))
    try {
      await Promise.all(engines.map((e) => e.migrate()))
      const { rows } = await t.pool.query(`SELECT version FROM "${prefix}migrations" ORDER BY version`)
      const { latest } = (await engines[0]!.health()).schema
      expect(rows).toEqual(Array.from({ length: latest }, (_, i) => ({ version: i + 1 })))
      await t.pool.query(`INSERT INTO "${prefix}migrations" (version, name) VALUES (999, 'from the future')`)
      const err = await engines[0]!.migrate().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PulseError)
      expect((err as PulseError).code).toBe('SCHEMA_TOO_NEW')
    } finally {
      const tables = ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations', 'workers', 'signal_waits', 'signal_listeners', 'signal_deliveries', 'idempotency_keys', 'skipped_starts']
      await t.pool.query(tables.map((x) => `DROP TABLE IF EXISTS "${prefix}${x}" CASCADE`).join(';'))
    }
  })

  it('refuses to start before migrate(), and refuses unsafe table prefixes', async () => {
    t = await startTestEngine({}, { start: false })
    const engine = createEngine({ db: t.pool, tablePrefix: `never_${Date.now().toString(36)}_` })
    await expect(engine.start()).rejects.toThrow(/call engine.migrate\(\) before engine.start\(\)/)
    for (const bad of ['Pulse_', 'pulse;drop', '1abc', '', 'x'.repeat(42), 'a"b', 'pulse-']) {
      expect(() => createEngine({ db: t!.pool, tablePrefix: bad })).toThrow(PulseConfigError)
    }
  })
})
