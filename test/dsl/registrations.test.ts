import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { action, collectRegistrations, condition, PulseValidationError, trigger, workflow, type AnyWorkflow } from '../../src/index.js'

const heartbeatMissed = trigger('heartbeat.missed', { source: 'heartbeat', payload: z.object({ lastSeenAt: z.string() }) })
const stillDown = condition('service_still_down', () => true)
const createIncident = heartbeatMissed.action('create_incident', () => ({ success: true, data: { incidentId: 'inc_1' } }), {
  replaySafe: true,
})
const sendEmail = action('send_email', () => undefined)
const sendSlack = action('send_slack', () => undefined)

describe('collectRegistrations', () => {
  const wf = workflow('incident')
    .on(heartbeatMissed)
    .when(stillDown)
    .do(createIncident)
    .do('notify_oncall', () => ({ success: true }))
    .parallel(
      'notify_all',
      (b) => b.do(sendEmail).when('wants_slack', () => false),
      (b) => b.delay('1s').do(sendSlack).do('branch_inline', () => undefined, { replaySafe: true }),
    )

  it('returns the trigger def the workflow is on', () => {
    expect(collectRegistrations(wf).trigger).toBe(heartbeatMissed)
  })

  it('lists every action in step order, inline and branch ones included', () => {
    const { actions } = collectRegistrations(wf)
    expect(actions.map((a) => a.name)).toEqual(['create_incident', 'notify_oncall', 'send_email', 'send_slack', 'branch_inline'])
    expect(actions[0]).toBe(createIncident)
    expect(actions.every((a) => a.kind === 'action' && typeof a.handler === 'function')).toBe(true)
  })

  it('keeps replaySafe as declared and defaults it to false', () => {
    const { actions } = collectRegistrations(wf)
    expect(Object.fromEntries(actions.map((a) => [a.name, a.options.replaySafe]))).toEqual({
      create_incident: true,
      notify_oncall: false,
      send_email: false,
      send_slack: false,
      branch_inline: true,
    })
  })

  it('lists every condition, inline and branch ones included', () => {
    const { conditions } = collectRegistrations(wf)
    expect(conditions.map((c) => [c.kind, c.name])).toEqual([
      ['condition', 'service_still_down'],
      ['condition', 'wants_slack'],
    ])
  })

  it('stores inline handlers so the engine can call them with a plain context', async () => {
    const { actions, conditions } = collectRegistrations(wf)
    const ctx = { trigger: { payload: { lastSeenAt: 'x' } }, steps: {}, config: {} } as unknown as Parameters<(typeof actions)[0]['handler']>[0]
    expect(await actions[1].handler(ctx)).toEqual({ success: true })
    expect(await conditions[1].handler(ctx)).toBe(false)
  })

  it('returns fresh arrays, so the caller cannot change the workflow', () => {
    collectRegistrations(wf).actions.length = 0
    expect(collectRegistrations(wf).actions).toHaveLength(5)
  })

  it('rejects something that is not a workflow', () => {
    expect(() => collectRegistrations({ kind: 'workflow', key: 'x', compile: () => ({}) } as unknown as AnyWorkflow)).toThrow(PulseValidationError)
  })
})
