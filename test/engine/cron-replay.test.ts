import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { action, condition, trigger, workflow, type Engine } from '../../src/index.js'
import { eventually, sleep, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

describe.skipIf(servicesMissing())('cron schedules', () => {
  let t: TestEngine
  afterEach(() => t.close())

  it('fires exactly one run per tick with three engines started together, and stops when disabled', async () => {
    t = await startTestEngine({}, { start: false })
    const ticks: string[] = []
    const cleanup = trigger('maintenance.cleanup', { source: 'scheduler' })
    const wf = workflow('every-second')
      .on(cleanup)
      .do('cleanup_old_records', (ctx) => void ticks.push(String(ctx.trigger.payload.scheduledAt)))
      .cron('* * * * * *')
    const engines = [t.engine, t.sibling(), t.sibling()]
    for (const e of engines) e.register(wf)
    const [def] = (await t.engine.sync({ tenantId: 'w1', workflows: [wf] })).definitions
    await Promise.all(engines.map((e) => e.start()))
    await eventually(() => (ticks.length >= 3 ? true : undefined), 10_000, 'three cron ticks')
    await t.engine.disableWorkflow(def!.id)
    await sleep(1500)
    const settled = ticks.length
    await sleep(1500)
    expect(ticks.length).toBe(settled)
    expect(new Set(ticks).size).toBe(ticks.length)
    const { rows } = await t.pool.query(
      `SELECT trigger_id, count(*)::int AS n FROM "${t.tablePrefix}workflow_runs" GROUP BY trigger_id HAVING count(*) > 1`,
    )
    expect(rows).toEqual([])
    const runs = await t.engine.listRuns({ tenantId: 'w1' })
    expect(runs.length).toBe(ticks.length)
  })
})

describe.skipIf(servicesMissing())('replay', () => {
  let t: TestEngine
  let engine: Engine
  const calls: string[] = []
  const incident = trigger('incident.opened', { source: 'monitor' })
  const isOpen = condition('still_open', () => {
    calls.push('check')
    return true
  })
  const safe = action('create_ticket', () => {
    calls.push('ticket')
    return { success: true, data: { ticket: 'T-1' } }
  }, { replaySafe: true })
  const unsafe = action('send_page', () => void calls.push('page'), { replaySafe: false })
  const wf = workflow('incident-flow').on(incident).delay(200, { name: 'settle' }).when(isOpen).do(safe).do(unsafe)

  beforeEach(async () => {
    calls.length = 0
    t = await startTestEngine()
    engine = t.engine
    engine.register(wf)
    await engine.sync({ tenantId: 'w1', workflows: [wf] })
  })
  afterEach(() => t.close())

  it('re-runs replay-safe actions, skips the others with a reason, and leaves the original run alone', async () => {
    const trg = await engine.emit(incident, { tenantId: 'w1', payload: {} })
    const [original] = await engine.getRunsByTrigger(trg.id)
    await waitForRun(engine, original!.id)
    const before = await engine.getRunSteps(original!.id)
    calls.length = 0

    const [replayed] = await engine.replay(trg.id)
    expect(replayed!.isReplay).toBe(true)
    const done = await waitForRun(engine, replayed!.id)
    expect(done.status).toBe('completed')
    expect(calls).toEqual(['check', 'ticket'])
    const steps = await engine.getRunSteps(done.id)
    const page = steps.find((s) => s.stepName === 'send_page')!
    expect(page.status).toBe('skipped')
    expect(page.result).toEqual({ reason: 'replay: the action is not replay-safe' })
    expect(await engine.getRunSteps(original!.id)).toEqual(before)
    expect((await engine.getRunsByTrigger(trg.id)).map((r) => r.isReplay).sort()).toEqual([false, true])
  })

  it('dry run evaluates conditions, records delays without waiting and skips every action', async () => {
    const trg = await engine.emit(incident, { tenantId: 'w1', payload: {} })
    const [original] = await engine.getRunsByTrigger(trg.id)
    await waitForRun(engine, original!.id)
    calls.length = 0
    const started = Date.now()
    const [dry] = await engine.replay(trg.id, { dryRun: true })
    const done = await waitForRun(engine, dry!.id)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(calls).toEqual(['check'])
    const steps = await engine.getRunSteps(done.id)
    expect(steps.map((s) => [s.stepName, s.status])).toEqual([
      ['settle', 'completed'],
      ['still_open', 'completed'],
      ['create_ticket', 'skipped'],
      ['send_page', 'skipped'],
    ])
    expect(steps[2]!.result).toEqual({ reason: 'dry run: actions do not run', wouldRun: true })
    expect(steps[3]!.result).toEqual({ reason: 'dry run: actions do not run', wouldRun: false })
  })
})
