import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PulseValidationError, type Engine, type WorkflowSpec, type WorkflowStep } from '../../src/index.js'
import { startTestEngine, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const wait = (name: string, signalTypes: string[]): WorkflowStep => ({ type: 'wait_for_signal', name, signalTypes, match: ['resourceId'], timeoutMs: 86_400_000 })

/** A JSON workflow that waits (at the top and inside a branch) and cancels on a signal. */
const dunning: WorkflowSpec = {
  key: 'dunning',
  name: 'Dunning',
  triggerType: 'invoice.overdue',
  steps: [
    { type: 'action', name: 'remind' },
    wait('await_payment', ['invoice.paid', 'invoice.voided']),
    { type: 'parallel', name: 'escalate', branches: [[wait('await_reply', ['email.replied'])], [{ type: 'action', name: 'notify_sales' }]] },
  ],
  cancelOn: [{ signalType: 'account.closed', match: ['resourceId'] }],
  config: {},
  isEnabled: true,
}

describe.skipIf(servicesMissing())('definitions with wait steps and cancelOn', () => {
  let t: TestEngine
  let engine: Engine
  beforeEach(async () => {
    // Not started: these tests look at what is stored, not at runs executing.
    t = await startTestEngine({}, { start: false })
    engine = t.engine
    for (const type of ['invoice.overdue', 'invoice.paid', 'invoice.voided', 'email.replied', 'account.closed', 'plan.changed']) {
      engine.registerTrigger(type, { source: 'billing' })
    }
    for (const name of ['remind', 'notify_sales']) engine.registerAction(name, () => undefined)
  })
  afterEach(() => t.close())

  const listeners = async () =>
    (await t.pool.query(`SELECT tenant_id, signal_type FROM "${t.tablePrefix}signal_listeners" ORDER BY tenant_id, signal_type`)).rows
  const count = async (table: string) => (await t.pool.query(`SELECT count(*)::int AS n FROM "${t.tablePrefix}${table}"`)).rows[0].n as number

  it('stores the signal types a synced definition listens to, branches included, for its tenant only', async () => {
    await engine.sync({ tenantId: 'w1', workflows: [dunning] })
    expect(await listeners()).toEqual(
      ['account.closed', 'email.replied', 'invoice.paid', 'invoice.voided'].map((signal_type) => ({ tenant_id: 'w1', signal_type })),
    )
  })

  it('round-trips cancelOn, and a changed cancelOn is a new version whose types are added to the old ones', async () => {
    const first = await engine.sync({ tenantId: 'w1', workflows: [dunning] })
    expect(first.definitions[0]!.cancelOn).toEqual(dunning.cancelOn)
    const [stored] = await engine.listWorkflows({ tenantId: 'w1' })
    expect(stored!.cancelOn).toEqual(dunning.cancelOn)
    expect((await engine.sync({ tenantId: 'w1', workflows: [dunning] })).unchanged.map((e) => e.key)).toEqual(['dunning'])

    const changed = { ...dunning, cancelOn: [{ signalType: 'plan.changed', match: ['resourceId' as const, 'payload.plan' as const] }] }
    const plan = await engine.sync({ tenantId: 'w1', workflows: [changed] })
    expect(plan.updated).toEqual([expect.objectContaining({ key: 'dunning', version: 2 })])
    expect(plan.definitions[0]!.cancelOn).toEqual(changed.cancelOn)
    // Rows are only added: account.closed stays listed although no definition cancels on it now.
    expect((await listeners()).map((r) => r.signal_type)).toEqual(['account.closed', 'email.replied', 'invoice.paid', 'invoice.voided', 'plan.changed'])

    const { cancelOn: _dropped, ...without } = dunning
    const removed = await engine.sync({ tenantId: 'w1', workflows: [without] })
    expect(removed.updated).toEqual([expect.objectContaining({ version: 3 })])
    expect(removed.definitions[0]).not.toHaveProperty('cancelOn')
  })

  it('stores listeners and cancelOn for createWorkflow, and none for a workflow that neither waits nor cancels', async () => {
    const { key: _key, ...unkeyed } = dunning
    const def = await engine.createWorkflow({ ...unkeyed, tenantId: 'w2' })
    expect(def.cancelOn).toEqual(dunning.cancelOn)
    expect(def.steps[1]).toEqual(dunning.steps[1])
    const plain = await engine.createWorkflow({ tenantId: 'w3', name: 'Plain', triggerType: 'invoice.overdue', steps: [{ type: 'action', name: 'remind' }], config: {}, isEnabled: true })
    expect(plain).not.toHaveProperty('cancelOn')
    expect((await listeners()).map((r) => r.tenant_id)).toEqual(['w2', 'w2', 'w2', 'w2'])
  })

  it('freezes cancelOn into the snapshot of each run, and leaves it out when the definition has none', async () => {
    await engine.sync({ tenantId: 'w1', workflows: [dunning, { ...dunning, key: 'plain', cancelOn: undefined }] })
    const signal = await engine.emit({ tenantId: 'w1', type: 'invoice.overdue', resourceId: 'inv_1' })
    const runs = await engine.getRunsByTrigger(signal.id)
    const byKey = Object.fromEntries(runs.map((r) => [r.definitionSnapshot.key, r.definitionSnapshot]))
    expect(byKey.dunning!.cancelOn).toEqual(dunning.cancelOn)
    expect(byKey.plain).not.toHaveProperty('cancelOn')
  })

  it('refuses a wait or cancelOn on an unregistered signal type, naming its path, and writes nothing', async () => {
    const typo = { ...dunning, steps: [dunning.steps[0]!, wait('await_payment', ['invoice.payed'])], cancelOn: [{ signalType: 'acount.closed', match: ['resourceId' as const] }] }
    const synced = await engine.sync({ tenantId: 'w1', workflows: [typo] }).catch((e: unknown) => e)
    expect(synced).toBeInstanceOf(PulseValidationError)
    expect((synced as PulseValidationError).issues).toEqual([
      {
        path: ['workflows', 'dunning', 'steps', 1, 'signalTypes', 0],
        message: expect.stringContaining('wait step "await_payment" waits for signal type "invoice.payed", which is not registered; register it with engine.registerTrigger("invoice.payed"'),
      },
      { path: ['workflows', 'dunning', 'cancelOn', 0, 'signalType'], message: expect.stringContaining('cancelOn names signal type "acount.closed", which is not registered') },
    ])

    const { key: _key, ...unkeyed } = typo
    const nested = { ...unkeyed, steps: [dunning.steps[0]!, { ...dunning.steps[2]!, branches: [[wait('await_reply', ['email.reply'])], [{ type: 'action' as const, name: 'notify_sales' }]] }], cancelOn: undefined }
    const created = await engine.createWorkflow({ ...nested, tenantId: 'w1' }).catch((e: unknown) => e)
    expect(created).toBeInstanceOf(PulseValidationError)
    expect((created as PulseValidationError).issues.map((i) => i.path)).toEqual([['steps', 1, 'branches', 0, 0, 'signalTypes', 0]])

    expect(await count('workflow_definitions')).toBe(0)
    expect(await count('signal_listeners')).toBe(0)
  })

  it('accepts unregistered signal types when the engine allows them', async () => {
    const lax = t.sibling({ allowUnregisteredTriggers: true })
    lax.registerAction('remind', () => undefined)
    const def = await lax.createWorkflow({ tenantId: 'w1', name: 'Lax', triggerType: 'x.started', steps: [{ type: 'action', name: 'remind' }, wait('w', ['x.finished'])], cancelOn: [{ signalType: 'x.aborted', match: ['resourceId'] }], config: {}, isEnabled: true })
    expect(def.cancelOn).toEqual([{ signalType: 'x.aborted', match: ['resourceId'] }])
    expect((await listeners()).map((r) => r.signal_type)).toEqual(['x.aborted', 'x.finished'])
  })
})
