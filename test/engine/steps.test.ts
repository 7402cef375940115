import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { PulseValidationError, trigger, workflow, type Engine, type WorkflowStep } from '../../src/index.js'
import { startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

describe.skipIf(servicesMissing())('step semantics', () => {
  let t: TestEngine
  let engine: Engine
  let tenant = 0
  const seen: string[] = []

  beforeAll(async () => {
    t = await startTestEngine()
    engine = t.engine
    engine.registerTrigger('test.signal', { source: 'test' })
    engine.registerCondition('is_true', () => true)
    engine.registerCondition('is_false', () => false)
    for (const name of ['a', 'b', 'c', 'd']) {
      engine.registerAction(name, (ctx) => {
        seen.push(`${ctx.tenantId}:${name}`)
        return { success: true, data: { ran: name } }
      })
    }
  })
  afterAll(() => t.close())

  /** Creates a one-off workflow for a fresh tenant, emits once, and waits for the run to end. */
  async function runOnce(steps: WorkflowStep[]) {
    const tenantId = `tenant_${++tenant}`
    await engine.createWorkflow({ tenantId, name: 'w', triggerType: 'test.signal', steps, config: {}, isEnabled: true })
    const trg = await engine.emit({ tenantId, source: 'test', type: 'test.signal' })
    const [created] = await engine.getRunsByTrigger(trg.id)
    const run = await waitForRun(engine, created!.id)
    const steps_ = await engine.getRunSteps(run.id)
    return { run, steps: steps_.map((s) => [s.stepName, s.status] as const), ran: seen.filter((s) => s.startsWith(`${tenantId}:`)).map((s) => s.split(':')[1]) }
  }

  it('completes the run early when a condition is false and onFalse is complete (the default)', async () => {
    const r = await runOnce([{ type: 'action', name: 'a' }, { type: 'condition', name: 'is_false' }, { type: 'action', name: 'b' }])
    expect(r.run.status).toBe('completed')
    expect(r.ran).toEqual(['a'])
    expect(r.steps).toEqual([['a', 'completed'], ['is_false', 'completed']])
  })

  it('skips only the next step when the condition is false and onFalse is skip', async () => {
    const r = await runOnce([
      { type: 'condition', name: 'is_false', onFalse: 'skip' },
      { type: 'action', name: 'a' },
      { type: 'action', name: 'b' },
    ])
    expect(r.run.status).toBe('completed')
    expect(r.ran).toEqual(['b'])
    expect(r.steps).toEqual([['is_false', 'completed'], ['a', 'skipped'], ['b', 'completed']])
  })

  it('skips the next two steps when the condition is false and onFalse is 2', async () => {
    const r = await runOnce([
      { type: 'condition', name: 'is_false', onFalse: 2 },
      { type: 'action', name: 'a' },
      { type: 'action', name: 'b' },
      { type: 'action', name: 'c' },
    ])
    expect(r.ran).toEqual(['c'])
    expect(r.steps).toEqual([['is_false', 'completed'], ['a', 'skipped'], ['b', 'skipped'], ['c', 'completed']])
  })

  it('completes the run when onFalse skips every remaining step', async () => {
    const r = await runOnce([{ type: 'condition', name: 'is_false', onFalse: 2 }, { type: 'action', name: 'a' }, { type: 'action', name: 'b' }])
    expect(r.run.status).toBe('completed')
    expect(r.ran).toEqual([])
  })

  it('goes on normally when the condition is true', async () => {
    const r = await runOnce([{ type: 'condition', name: 'is_true', onFalse: 'skip' }, { type: 'action', name: 'a' }, { type: 'action', name: 'b' }])
    expect(r.ran).toEqual(['a', 'b'])
  })

  it('retries a failing action with exponential backoff and succeeds on the third attempt', async () => {
    const attempts: number[] = []
    engine.registerAction('flaky', (ctx) => {
      attempts.push(Date.now())
      if (attempts.length < 3) throw new Error(`boom ${attempts.length}`)
      return { success: true, data: { attempt: ctx.step.attempt } }
    })
    const r = await runOnce([{ type: 'action', name: 'flaky', retryPolicy: { maxAttempts: 3, backoffMs: 200 } }])
    expect(r.run.status).toBe('completed')
    expect(r.run.context).toEqual({ flaky: { attempt: 3 } })
    expect(attempts).toHaveLength(3)
    // Backoff doubles: about 200 ms before the second attempt, 400 ms before the third.
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(190)
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(390)
    const logs = await engine.getRunLogs(r.run.id)
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.data?.error)).toEqual(['boom 1', 'boom 2'])
  })

  it('fails the run when an action returns success: false on its last attempt', async () => {
    engine.registerAction('refuses', () => ({ success: false, error: 'card declined' }))
    const r = await runOnce([{ type: 'action', name: 'a' }, { type: 'action', name: 'refuses', retryPolicy: { maxAttempts: 2, backoffMs: 100 } }, { type: 'action', name: 'b' }])
    expect(r.run.status).toBe('failed')
    expect(r.run.errorMessage).toBe('step "refuses" failed: card declined')
    expect(r.steps).toEqual([['a', 'completed'], ['refuses', 'failed']])
    const steps = await engine.getRunSteps(r.run.id)
    expect(steps[1]!.attempt).toBe(2)
    const timeline = await engine.getRunTimeline(r.run.id)
    expect(timeline.map((e) => e.type).slice(-2)).toEqual(['step_failed', 'run_failed'])
  })

  it('aborts ctx.signal and fails the attempt when an action exceeds its timeout', async () => {
    let sawAbort = false
    engine.registerAction('slow', async (ctx) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000)
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true
          clearTimeout(timer)
          resolve()
        })
      })
      return { success: true }
    })
    const started = Date.now()
    const r = await runOnce([{ type: 'action', name: 'slow', timeoutMs: 200 }])
    expect(r.run.status).toBe('failed')
    expect(r.run.errorMessage).toContain('timed out after 200 ms')
    expect(sawAbort).toBe(true)
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('fails the attempt when a handler returns the wrong shape', async () => {
    engine.registerAction('wrong_shape', () => ({ ok: true }) as never)
    engine.registerCondition('not_boolean', () => 'yes' as never)
    const a = await runOnce([{ type: 'action', name: 'wrong_shape' }])
    expect(a.run.errorMessage).toContain('return { success: true, data? } or nothing')
    const c = await runOnce([{ type: 'condition', name: 'not_boolean' }])
    expect(c.run.errorMessage).toContain('a condition must return true or false')
  })

  it('fails the attempt when an action returns output JSON cannot hold or that is over the limit', async () => {
    engine.registerAction('bigint_output', () => ({ success: true, data: { n: 10n as unknown as number } }))
    engine.registerAction('huge_output', () => ({ success: true, data: { blob: 'x'.repeat(1024 * 1024 + 10) } }))
    const bigint = await runOnce([{ type: 'action', name: 'bigint_output' }])
    expect(bigint.run.status).toBe('failed')
    expect(bigint.run.errorMessage).toMatch(/output cannot be stored: data\.n: .*bigint/i)
    const huge = await runOnce([{ type: 'action', name: 'huge_output' }])
    expect(huge.run.errorMessage).toMatch(/output cannot be stored: .*larger than/)
  })

  it('fails the run with a clear message when a step names a handler nobody registered', async () => {
    const r = await runOnce([{ type: 'action', name: 'ghost_action' }])
    expect(r.run.status).toBe('failed')
    expect(r.run.errorMessage).toContain('engine.registerAction("ghost_action"')
  })

  it('chains workflows through ctx.emit', async () => {
    const tenantId = `tenant_${++tenant}`
    engine.registerTrigger('service.recovered', { source: 'auto-remediation' })
    engine.registerAction('attempt_auto_fix', async (ctx) => {
      await ctx.emit({ tenantId: ctx.tenantId, source: 'auto-remediation', type: 'service.recovered', resourceId: 'api', payload: { fix: 'restart' } })
      return { success: true, data: { fixed: true } }
    })
    let closedWith: unknown
    engine.registerAction('close_incident', (ctx) => {
      closedWith = ctx.trigger.payload
      return undefined
    })
    await engine.createWorkflow({ tenantId, name: 'fix', triggerType: 'test.signal', steps: [{ type: 'action', name: 'attempt_auto_fix' }], config: {}, isEnabled: true })
    const close = await engine.createWorkflow({ tenantId, name: 'close', triggerType: 'service.recovered', steps: [{ type: 'action', name: 'close_incident' }], config: {}, isEnabled: true })
    await engine.emit({ tenantId, source: 'test', type: 'test.signal' })
    const chained = await eventuallyRun(engine, tenantId, close.id)
    expect((await waitForRun(engine, chained)).status).toBe('completed')
    expect(closedWith).toEqual({ fix: 'restart' })
  })

  it("chains DSL workflows through a typed ctx.emit: the run's tenant, the schema's defaults filled in, a bad payload refused", async () => {
    const tenantId = `tenant_${++tenant}`
    const start = trigger('typed.start', { source: 'test' })
    const followUp = trigger('typed.follow_up', { source: 'orders', payload: z.object({ orderId: z.string(), attempts: z.number().default(0) }) })
    let refused: unknown
    const emitter = workflow('typed-emitter')
      .on(start)
      .do('forward', async (ctx) => {
        const envelope = await ctx.emit(followUp, { resourceId: 'o1', payload: { orderId: 'o1' } })
        refused = await ctx.emit(followUp, { payload: { orderId: 42 as unknown as string } }).catch((err: unknown) => err)
        return { success: true, data: { signalId: envelope.id } }
      })
    let received: unknown
    const receiver = workflow('typed-receiver')
      .on(followUp)
      .do('receive', (ctx) => {
        received = { tenantId: ctx.tenantId, source: ctx.trigger.source, resourceId: ctx.trigger.resourceId, payload: ctx.trigger.payload }
      })
    engine.register(emitter, receiver)
    await engine.sync({ tenantId, workflows: [emitter, receiver] })
    const signal = await engine.emit(start, { tenantId, payload: {} })
    const [first] = await engine.getRunsByTrigger(signal.id)
    expect((await waitForRun(engine, first!.id)).status).toBe('completed')
    const [receiving] = await engine.listWorkflows({ tenantId, key: 'typed-receiver' })
    expect((await waitForRun(engine, await eventuallyRun(engine, tenantId, receiving!.id))).status).toBe('completed')
    expect(received).toEqual({ tenantId, source: 'orders', resourceId: 'o1', payload: { orderId: 'o1', attempts: 0 } })
    expect(refused).toBeInstanceOf(PulseValidationError)
    expect((refused as PulseValidationError).issues).toEqual([expect.objectContaining({ path: ['payload', 'orderId'] })])
  })
})

async function eventuallyRun(engine: Engine, tenantId: string, definitionId: string): Promise<string> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const runs = await engine.listRuns({ tenantId })
    const run = runs.find((r) => r.definitionId === definitionId)
    if (run) return run.id
    if (Date.now() > deadline) throw new Error('chained run never appeared')
    await new Promise((r) => setTimeout(r, 25))
  }
}
