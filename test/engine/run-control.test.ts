import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PulseStateError, type Engine } from '../../src/index.js'
import { eventually, sleep, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

describe.skipIf(servicesMissing())('cancel, retry and the run state machine', () => {
  let t: TestEngine
  let engine: Engine

  beforeEach(async () => {
    t = await startTestEngine()
    engine = t.engine
    engine.registerTrigger('job.requested', { source: 'app' })
  })
  afterEach(() => t.close())

  async function startRun(steps: Parameters<Engine['createWorkflow']>[0]['steps'], tenantId = 'w1') {
    await engine.createWorkflow({ tenantId, name: 'w', triggerType: 'job.requested', steps, config: {}, isEnabled: true })
    const trg = await engine.emit({ tenantId, type: 'job.requested' })
    const [run] = await engine.getRunsByTrigger(trg.id)
    return run!
  }

  it('cancels a run waiting in a delay: the delay is skipped, nothing after it runs', async () => {
    let ran = false
    engine.registerAction('after_delay', () => void (ran = true))
    const run = await startRun([{ type: 'delay', name: 'wait', delayMs: 500 }, { type: 'action', name: 'after_delay' }])
    const canceled = await engine.cancelRun(run.id, 'No longer needed')
    expect(canceled).toMatchObject({ status: 'canceled', cancelReason: 'No longer needed' })
    expect(canceled.canceledAt).toBeInstanceOf(Date)
    await sleep(900)
    expect(ran).toBe(false)
    const steps = await engine.getRunSteps(run.id)
    expect(steps.map((s) => [s.stepName, s.status])).toEqual([['wait', 'skipped']])
    const timeline = await engine.getRunTimeline(run.id)
    expect(timeline.at(-1)).toMatchObject({ type: 'run_canceled', detail: { reason: 'No longer needed' } })
  })

  it('aborts the running handler of a canceled run and never starts the next step', async () => {
    let aborted = false
    let nextRan = false
    engine.registerAction('long_running', async (ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
      aborted = ctx.signal.aborted
      return { success: true }
    })
    engine.registerAction('next', () => void (nextRan = true))
    const run = await startRun([{ type: 'action', name: 'long_running' }, { type: 'action', name: 'next' }])
    await eventually(async () => ((await engine.getRunSteps(run.id))[0]?.status === 'running' ? true : undefined))
    await engine.cancelRun(run.id)
    await eventually(() => (aborted ? true : undefined), 5000, 'abort of the handler')
    await sleep(300)
    expect(nextRan).toBe(false)
    expect((await engine.getRun(run.id))!.status).toBe('canceled')
    expect((await engine.getRunSteps(run.id)).map((s) => s.status)).toEqual(['skipped'])
  })

  it('retries a failed run from the failed step with fresh attempts, keeping earlier results', async () => {
    const calls: string[] = []
    let failing = true
    engine.registerAction('first', () => {
      calls.push('first')
      return { success: true, data: { n: 1 } }
    })
    engine.registerAction('fragile', (ctx) => {
      calls.push(`fragile#${ctx.step.attempt}`)
      return failing ? { success: false, error: 'downstream unavailable' } : { success: true }
    })
    const run = await startRun([
      { type: 'action', name: 'first' },
      { type: 'action', name: 'fragile', retryPolicy: { maxAttempts: 2, backoffMs: 100 } },
    ])
    const failed = await waitForRun(engine, run.id)
    expect(failed.status).toBe('failed')
    expect(await engine.getFailedRuns('w1')).toEqual([expect.objectContaining({ id: run.id })])
    expect(await engine.getFailedRuns('someone_else')).toEqual([])

    failing = false
    const retried = await engine.retryRun(run.id)
    expect(retried.status).toBe('running')
    expect(retried.failedAt).toBeUndefined()
    const done = await waitForRun(engine, run.id)
    expect(done.status).toBe('completed')
    expect(done.context).toEqual({ first: { n: 1 }, fragile: {} })
    expect(calls).toEqual(['first', 'fragile#1', 'fragile#2', 'fragile#1'])
    expect(await engine.getFailedRuns('w1')).toEqual([])
  })

  it('rejects transitions the state machine does not allow, with a clear error', async () => {
    engine.registerAction('quick', () => undefined)
    const run = await startRun([{ type: 'action', name: 'quick' }])
    await waitForRun(engine, run.id)
    await expect(engine.cancelRun(run.id)).rejects.toThrow(PulseStateError)
    await expect(engine.cancelRun(run.id)).rejects.toThrow(/is completed and cannot be canceled/)
    await expect(engine.retryRun(run.id)).rejects.toThrow(/only a failed run can be retried/)
    await expect(engine.cancelRun('run_missing')).rejects.toThrow(/does not exist/)

    const waiting = await startRun([{ type: 'delay', name: 'later', delayMs: 60_000 }, { type: 'action', name: 'quick' }], 'w2')
    await expect(engine.retryRun(waiting.id)).rejects.toThrow(/is waiting; only a failed run can be retried/)
    await engine.cancelRun(waiting.id)
    await expect(engine.retryRun(waiting.id)).rejects.toThrow(/is canceled/)
  })
})
