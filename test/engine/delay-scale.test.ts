import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, PulseConfigError, trigger, workflow } from '../../src/index.js'
import { startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const DAY = 86_400_000
const signedUp = trigger('user.signed_up', { source: 'app' })
// A delay first (its row is created with the run) and one after an action (created by a transition).
const welcome = workflow('welcome')
  .on(signedUp)
  .delay('2d', { name: 'settle' })
  .do('send_email', () => undefined)
  .delay('2d', { name: 'wait_tips' })
  .do('send_tips', () => undefined)

describe.skipIf(servicesMissing())('delayScale', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it("shortens every delay: two '2d' delays pass in well under a second with delayScale 0.000001", async () => {
    t = await startTestEngine({ delayScale: 0.000001 })
    const { engine } = t
    engine.register(welcome)
    await engine.createWorkflow({ ...welcome.compile(), tenantId: 'w1' })
    const emittedAt = Date.now()
    const trg = await engine.emit(signedUp, { tenantId: 'w1', payload: {} })
    const [created] = await engine.getRunsByTrigger(trg.id)
    expect(created!.status).toBe('waiting')
    const run = await waitForRun(engine, created!.id, ['completed', 'failed'], 10_000)
    expect(run.status).toBe('completed')
    const steps = await engine.getRunSteps(run.id)
    expect(steps.map((s) => [s.stepName, s.status])).toEqual([
      ['settle', 'completed'],
      ['send_email', 'completed'],
      ['wait_tips', 'completed'],
      ['send_tips', 'completed'],
    ])
    // The stored due time is the shortened one: 2 days × 0.000001 = 173 ms.
    for (const delay of [steps[0]!, steps[2]!]) {
      const dueIn = delay.scheduledFor!.getTime() - delay.createdAt.getTime()
      expect(dueIn).toBeGreaterThanOrEqual(150)
      expect(dueIn).toBeLessThan(1000)
    }
    expect(steps[3]!.completedAt!.getTime() - emittedAt).toBeGreaterThanOrEqual(340)
  })

  it('leaves delays as written without it', async () => {
    t = await startTestEngine()
    const { engine } = t
    engine.register(welcome)
    await engine.createWorkflow({ ...welcome.compile(), tenantId: 'w1' })
    const trg = await engine.emit(signedUp, { tenantId: 'w1', payload: {} })
    const [run] = await engine.getRunsByTrigger(trg.id)
    const [settle] = await engine.getRunSteps(run!.id)
    expect(settle!.scheduledFor!.getTime() - settle!.createdAt.getTime()).toBeGreaterThanOrEqual(2 * DAY - 1000)
  })

  it('refuses a scale that is not a number greater than 0 and at most 1', () => {
    for (const bad of [0, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0.1' as unknown as number]) {
      expect(() => createEngine({ dataDir: false, delayScale: bad })).toThrow(PulseConfigError)
    }
    expect(() => createEngine({ dataDir: false, delayScale: 2 })).toThrow('delayScale must be a number greater than 0 and at most 1')
  })
})
