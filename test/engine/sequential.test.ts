import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { PulseValidationError, type StepCompleteEvent, type RunCompleteEvent } from '../../src/index.js'
import { startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

describe.skipIf(servicesMissing())('sequential workflows on Postgres + Redis', () => {
  let t: TestEngine
  const stepEvents: StepCompleteEvent[] = []
  const runEvents: RunCompleteEvent[] = []

  beforeEach(async () => {
    stepEvents.length = 0
    runEvents.length = 0
    t = await startTestEngine({
      onStepComplete: (e) => void stepEvents.push(e),
      onRunComplete: (e) => void runEvents.push(e),
    })
  })
  afterEach(() => t.close())

  it('runs the missed-heartbeat example: delay, condition, two actions, with context and logs', async () => {
    const { engine } = t
    const calls: string[] = []
    engine.registerTrigger('heartbeat.missed', { source: 'heartbeat', resourceType: 'service' })
    engine.registerCondition('service_still_down', async (ctx) => {
      calls.push(`check:${ctx.trigger.resourceId}`)
      return true
    })
    engine.registerAction(
      'create_incident',
      async (ctx) => {
        calls.push(`incident:${String(ctx.config.severity)}`)
        ctx.log('Incident created', { incidentId: 'inc_1' })
        return { success: true, data: { incidentId: 'inc_1' } }
      },
      { replaySafe: true },
    )
    engine.registerAction('notify_oncall', async (ctx) => {
      calls.push(`page:${String((ctx.steps.create_incident as { incidentId: string }).incidentId)}`)
      return { success: true }
    })
    const def = await engine.createWorkflow({
      tenantId: 'workspace_1',
      name: 'Incident on missed heartbeat',
      triggerType: 'heartbeat.missed',
      environmentFilter: 'production',
      steps: [
        { type: 'delay', name: 'wait_5m', delayMs: 300 },
        { type: 'condition', name: 'service_still_down' },
        { type: 'action', name: 'create_incident' },
        { type: 'action', name: 'notify_oncall' },
      ],
      config: { severity: 'high' },
      isEnabled: true,
    })
    expect(def.id).toMatch(/^wfd_/)

    const emittedAt = Date.now()
    const trigger = await engine.emit({
      tenantId: 'workspace_1',
      source: 'heartbeat',
      type: 'heartbeat.missed',
      resourceType: 'service',
      resourceId: 'api-server',
      environment: 'production',
      payload: { lastSeenAt: '2026-11-25T10:00:00Z' },
    })
    expect(trigger.id).toMatch(/^trg_/)
    const [created] = await engine.getRunsByTrigger(trigger.id)
    expect(created!.status).toBe('waiting')

    const run = await waitForRun(engine, created!.id)
    expect(run.status).toBe('completed')
    // An action that returns no data still gets an entry, so later steps can rely on ctx.steps[name].
    expect(run.context).toEqual({ create_incident: { incidentId: 'inc_1' }, notify_oncall: {} })
    expect(calls).toEqual(['check:api-server', 'incident:high', 'page:inc_1'])

    const steps = await engine.getRunSteps(run.id)
    expect(steps.map((s) => [s.stepName, s.status])).toEqual([
      ['wait_5m', 'completed'],
      ['service_still_down', 'completed'],
      ['create_incident', 'completed'],
      ['notify_oncall', 'completed'],
    ])
    const delay = steps[0]!
    expect(delay.scheduledFor!.getTime() - delay.createdAt.getTime()).toBeGreaterThanOrEqual(299)
    expect(steps[1]!.startedAt!.getTime()).toBeGreaterThanOrEqual(emittedAt + 290)

    const timeline = await engine.getRunTimeline(run.id)
    const types = timeline.map((e) => e.type)
    expect(types[0]).toBe('run_created')
    expect(types.at(-1)).toBe('run_completed')
    expect(types.filter((x) => x === 'step_completed')).toHaveLength(4)
    expect(timeline.find((e) => e.type === 'log')).toMatchObject({ stepName: 'create_incident', stepIndex: 2, detail: { level: 'info', message: 'Incident created' } })
    // Each log row names the step that wrote it.
    const logs = await engine.getRunLogs(run.id)
    expect(logs.map((l) => [l.stepName, l.message])).toEqual([['create_incident', 'Incident created']])
    expect(logs[0]!.stepRunId).toBe(steps[2]!.id)
    const stamps = timeline.map((e) => e.timestamp.getTime())
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps)

    await waitUntil(() => runEvents.length === 1)
    expect(runEvents[0]!.status).toBe('completed')
    expect(stepEvents.map((e) => e.step.stepName)).toEqual(['wait_5m', 'service_still_down', 'create_incident', 'notify_oncall'])
  })

  it('fires onStepComplete in step order, also when a delay hands the run to the queue', async () => {
    const { engine } = t
    engine.registerTrigger('order.check', { source: 'app' })
    engine.registerAction('first', async () => ({ success: true }))
    engine.registerCondition('still_open', async () => true)
    engine.registerAction('last', async () => ({ success: true }))
    await engine.createWorkflow({
      tenantId: 'w',
      name: 'ordered hooks',
      triggerType: 'order.check',
      steps: [
        { type: 'delay', name: 'settle', delayMs: 1 },
        { type: 'action', name: 'first' },
        { type: 'delay', name: 'pause', delayMs: 1 },
        { type: 'condition', name: 'still_open' },
        { type: 'action', name: 'last' },
      ],
      config: {},
      isEnabled: true,
    })
    const runs = 20
    await Promise.all(Array.from({ length: runs }, () => engine.emit({ tenantId: 'w', type: 'order.check' })))
    await waitUntil(() => runEvents.length === runs, 20_000)
    const byRun = new Map<string, string[]>()
    for (const e of stepEvents) byRun.set(e.run.id, [...(byRun.get(e.run.id) ?? []), e.step.stepName])
    expect(byRun.size).toBe(runs)
    for (const names of byRun.values()) expect(names).toEqual(['settle', 'first', 'pause', 'still_open', 'last'])
  })

  it('matches only enabled workflows whose filters fit the signal', async () => {
    const { engine } = t
    engine.registerTrigger('deploy.finished', { source: 'ci' })
    engine.registerAction('noop', async () => undefined)
    const base = { tenantId: 'w1', triggerType: 'deploy.finished', steps: [{ type: 'action' as const, name: 'noop' }], config: {}, isEnabled: true }
    const any = await engine.createWorkflow({ ...base, name: 'any' })
    const prod = await engine.createWorkflow({ ...base, name: 'prod only', environmentFilter: 'production' })
    const svc = await engine.createWorkflow({ ...base, name: 'services only', resourceTypeFilter: 'service' })
    const off = await engine.createWorkflow({ ...base, name: 'disabled' })
    await engine.disableWorkflow(off.id)
    await engine.createWorkflow({ ...base, tenantId: 'w2', name: 'other tenant' })

    const trg = await engine.emit({ tenantId: 'w1', source: 'ci', type: 'deploy.finished', environment: 'staging', resourceType: 'service' })
    const runs = await engine.getRunsByTrigger(trg.id)
    expect(runs.map((r) => r.definitionId).sort()).toEqual([any.id, svc.id].sort())
    expect(runs.map((r) => r.definitionId)).not.toContain(prod.id)

    await engine.enableWorkflow(off.id)
    const again = await engine.emit({ tenantId: 'w1', type: 'deploy.finished', environment: 'production' })
    expect((await engine.getRunsByTrigger(again.id)).map((r) => r.definitionId).sort()).toEqual([any.id, prod.id, off.id].sort())
  })

  it('rejects a payload that does not fit the trigger schema and writes nothing', async () => {
    const { engine, pool, tablePrefix } = t
    engine.registerTrigger('trial.expiring', { source: 'billing', payloadSchema: z.object({ email: z.string().email(), daysLeft: z.number() }) })
    const err = await engine
      .emit({ tenantId: 'w1', source: 'billing', type: 'trial.expiring', payload: { email: 'nope', daysLeft: '3' } })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PulseValidationError)
    const paths = (err as PulseValidationError).issues.map((i) => i.path.join('.'))
    expect(paths).toEqual(expect.arrayContaining(['payload.email', 'payload.daysLeft']))
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${tablePrefix}triggers"`)
    expect(rows[0].n).toBe(0)
  })

  it('refuses unregistered signal types unless the engine allows them', async () => {
    const err = await t.engine.emit({ tenantId: 'w1', source: 'x', type: 'never.registered' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PulseValidationError)
    expect((err as Error).message).toContain('registerTrigger("never.registered"')

    // Without a source the unknown type is still the cause named, not the source it would have given.
    const sourceless = await t.engine.emit({ tenantId: 'w1', type: 'never.registered' }).catch((e: unknown) => e)
    expect((sourceless as PulseValidationError).issues.map((i) => i.path.join('.'))).toEqual(['type'])
    expect((sourceless as Error).message).toContain('signal type "never.registered" is not registered')

    const open = t.sibling({ allowUnregisteredTriggers: true })
    const trg = await open.emit({ tenantId: 'w1', source: 'x', type: 'never.registered' })
    expect(await open.getTrigger(trg.id)).toMatchObject({ id: trg.id, type: 'never.registered', payload: {} })
  })
})

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}
