import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { action, condition, trigger, workflow, type Engine } from '../../src/index.js'
import { eventually, sleep, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const alert = trigger('alert.triggered', { source: 'monitor', payload: z.object({ severity: z.enum(['low', 'high']) }) })

describe.skipIf(servicesMissing())('parallel branches', () => {
  let t: TestEngine
  let engine: Engine
  beforeEach(async () => {
    t = await startTestEngine()
    engine = t.engine
  })
  afterEach(() => t.close())

  async function emitFor(tenantId: string) {
    const trg = await engine.emit(alert, { tenantId, payload: { severity: 'high' } })
    const [run] = await engine.getRunsByTrigger(trg.id)
    return run!
  }

  it('runs three branches, one with a delay and a condition, then continues with merged outputs', async () => {
    const order: string[] = []
    const email = action('send_email', () => {
      order.push('email')
      return { success: true, data: { messageId: 'm1' } }
    })
    const slack = action('send_slack', () => {
      order.push('slack')
      return { success: true, data: { ts: 't1' } }
    })
    const isHigh = condition('is_high', (ctx) => ctx.trigger.payload.severity === 'high')
    const wf = workflow('multi-channel')
      .on(alert)
      .parallel(
        'notify_all',
        (b) => b.do(email),
        (b) => b.delay(300, { name: 'pause' }).when(isHigh).do('send_sms', () => {
          order.push('sms')
          return { success: true, data: { sid: 's1' } }
        }),
        (b) => b.do(slack),
      )
      .do('mark_notified', (ctx) => {
        order.push(`mark:${ctx.steps.send_email.messageId}:${ctx.steps.send_slack.ts}`)
      })
    engine.register(wf)
    await engine.createWorkflow({ ...wf.compile(), tenantId: 'w1' })
    const run = await emitFor('w1')
    const done = await waitForRun(engine, run.id)
    expect(done.status).toBe('completed')
    expect(done.context).toEqual({ send_email: { messageId: 'm1' }, send_slack: { ts: 't1' }, send_sms: { sid: 's1' }, mark_notified: {} })
    expect(order.slice(-2)).toEqual(['sms', 'mark:m1:t1'])
    const steps = await engine.getRunSteps(run.id)
    const parallel = steps.find((s) => s.stepName === 'notify_all')!
    expect(parallel.status).toBe('completed')
    const children = steps.filter((s) => s.parentStepRunId === parallel.id)
    expect(children.map((s) => [s.stepName, s.branchIndex, s.status]).sort()).toEqual(
      [
        ['send_email', 0, 'completed'],
        ['pause', 1, 'completed'],
        ['is_high', 1, 'completed'],
        ['send_sms', 1, 'completed'],
        ['send_slack', 2, 'completed'],
      ].sort(),
    )
    // The step after the parallel step starts only once its slowest branch is done.
    const mark = steps.find((s) => s.stepName === 'mark_notified')!
    const sms = steps.find((s) => s.stepName === 'send_sms')!
    expect(mark.startedAt!.getTime()).toBeGreaterThanOrEqual(sms.completedAt!.getTime())
  })

  it("completes only its own branch when a branch condition is false with onFalse 'complete'", async () => {
    const never = condition('never', () => false)
    const wf = workflow('branch-complete')
      .on(alert)
      .parallel('fan', (b) => b.when(never).do('unreached', () => undefined), (b) => b.do('reached', () => ({ success: true, data: { ok: true } })))
      .do('after', () => undefined)
    engine.register(wf)
    await engine.createWorkflow({ ...wf.compile(), tenantId: 'w1' })
    const done = await waitForRun(engine, (await emitFor('w1')).id)
    expect(done.status).toBe('completed')
    const names = (await engine.getRunSteps(done.id)).map((s) => s.stepName)
    expect(names).toContain('after')
    expect(names).not.toContain('unreached')
  })

  it('fails the parallel step and the run when a branch fails, stopping the other branches', async () => {
    let lateRan = false
    const wf = workflow('branch-failure')
      .on(alert)
      .parallel(
        'fan',
        (b) => b.do('breaks', () => ({ success: false, error: 'provider down' })),
        (b) => b.delay(400, { name: 'slow_wait' }).do('late', () => void (lateRan = true)),
      )
      .do('after', () => undefined)
    engine.register(wf)
    await engine.createWorkflow({ ...wf.compile(), tenantId: 'w1' })
    const run = await waitForRun(engine, (await emitFor('w1')).id)
    expect(run.status).toBe('failed')
    expect(run.errorMessage).toBe('step "breaks" failed: provider down')
    await sleep(700)
    expect(lateRan).toBe(false)
    const steps = await engine.getRunSteps(run.id)
    const byName = Object.fromEntries(steps.map((s) => [s.stepName, s.status]))
    expect(byName).toEqual({ fan: 'failed', breaks: 'failed', slow_wait: 'skipped' })
  })

  it('retries a run that failed inside a parallel step and finishes every branch', async () => {
    let broken = true
    const calls: string[] = []
    const wf = workflow('branch-retry')
      .on(alert)
      .parallel(
        'fan',
        (b) => b.do('flaky_branch', () => {
          calls.push('flaky')
          return broken ? { success: false, error: 'nope' } : { success: true, data: { fixed: true } }
        }),
        (b) => b.delay(300, { name: 'wait_b' }).do('steady', () => {
          calls.push('steady')
          return { success: true, data: { steady: true } }
        }),
      )
      .do('after', () => void calls.push('after'))
    engine.register(wf)
    await engine.createWorkflow({ ...wf.compile(), tenantId: 'w1' })
    const run = await waitForRun(engine, (await emitFor('w1')).id)
    expect(run.status).toBe('failed')
    broken = false
    await engine.retryRun(run.id)
    const done = await waitForRun(engine, run.id)
    expect(done.status).toBe('completed')
    expect(done.context).toEqual({ flaky_branch: { fixed: true }, steady: { steady: true }, after: {} })
    expect(calls.filter((c) => c === 'after')).toHaveLength(1)
    expect(calls.filter((c) => c === 'steady')).toHaveLength(1)
  })

  it('cancels a run inside a parallel step: every unfinished branch step is skipped', async () => {
    const wf = workflow('branch-cancel')
      .on(alert)
      .parallel('fan', (b) => b.delay(5000, { name: 'w1' }).do('x1', () => undefined), (b) => b.delay(5000, { name: 'w2' }).do('x2', () => undefined))
    engine.register(wf)
    await engine.createWorkflow({ ...wf.compile(), tenantId: 'w1' })
    const run = await emitFor('w1')
    await eventually(async () => ((await engine.getRunSteps(run.id)).length === 3 ? true : undefined))
    await engine.cancelRun(run.id, 'stop')
    const steps = await engine.getRunSteps(run.id)
    expect(steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped'])
    expect((await engine.getRun(run.id))!.status).toBe('canceled')
  })

  it('completes the parallel step exactly once when branches finish at the same instant on two workers', async () => {
    const second = t.sibling({ concurrency: 10 })
    let afterCount = 0
    const wf = workflow('race')
      .on(alert)
      .parallel('fan', (b) => b.do('left', () => undefined), (b) => b.do('right', () => undefined), (b) => b.do('middle', () => undefined))
      .do('after', () => void (afterCount += 1))
    engine.register(wf)
    second.register(wf)
    await second.start()
    await engine.createWorkflow({ ...wf.compile(), tenantId: 'w1' })
    const runs = await Promise.all(Array.from({ length: 40 }, () => emitFor('w1')))
    for (const run of runs) expect((await waitForRun(engine, run.id)).status).toBe('completed')
    expect(afterCount).toBe(40)
    const { rows } = await t.pool.query(
      `SELECT run_id, count(*)::int AS n FROM "${t.tablePrefix}workflow_step_runs" WHERE step_name = 'after' GROUP BY run_id HAVING count(*) <> 1`,
    )
    expect(rows).toEqual([])
  })
})
