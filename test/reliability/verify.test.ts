import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

describe.skipIf(servicesMissing())('engine.verify() finds inconsistent rows', () => {
  let t: TestEngine
  const runs: Record<string, string> = {}
  beforeAll(async () => {
    t = await startTestEngine({})
    const { engine } = t
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('a', () => ({ success: true, data: { ok: 1 } }))
    engine.registerAction('b', () => ({ success: true }))
    engine.registerAction('boom', () => ({ success: false, error: 'no' }))
    const wf = (resourceTypeFilter: string, steps: never[]) =>
      engine.createWorkflow({ tenantId: 'w', name: resourceTypeFilter, triggerType: 'x.happened', resourceTypeFilter, steps, config: {}, isEnabled: true })
    await wf('chain', [{ type: 'action', name: 'a' }, { type: 'action', name: 'b' }] as never[])
    await wf('fan', [{ type: 'parallel', name: 'p', branches: [[{ type: 'action', name: 'a' }], [{ type: 'action', name: 'b' }]] }] as never[])
    await wf('fail', [{ type: 'action', name: 'boom' }] as never[])
    await wf('wait', [{ type: 'delay', name: 'later', delayMs: 3_600_000 }, { type: 'action', name: 'a' }] as never[])
    for (const kind of ['chain', 'fan', 'fail', 'wait']) {
      const trg = await engine.emit({ tenantId: 'w', type: 'x.happened', resourceType: kind })
      runs[kind] = (await engine.getRunsByTrigger(trg.id))[0]!.id
      await waitForRun(engine, runs[kind]!, kind === 'wait' ? ['waiting'] : undefined)
    }
  })
  afterAll(async () => {
    await t?.close()
  })

  const steps = () => `"${t.tablePrefix}workflow_step_runs"`
  const runsTable = () => `"${t.tablePrefix}workflow_runs"`
  const kinds = async () => (await t.engine.verify({ graceMs: 0 })).problems.map((p) => `${p.kind}:${p.runId}`).sort()

  it('reports a consistent database as ok', async () => {
    expect(await t.engine.verify()).toEqual({ ok: true, problems: [], truncated: false })
  })

  it('reports each kind of corruption, with the run and step', async () => {
    // A completed run with a step put back to pending.
    await t.pool.query(`UPDATE ${steps()} SET status = 'pending' WHERE run_id = $1 AND step_name = 'b'`, [runs.chain])
    // A waiting run whose delay step vanished from the unfinished set.
    await t.pool.query(`UPDATE ${steps()} SET status = 'completed' WHERE run_id = $1`, [runs.wait])
    // A parallel step whose branch counter disagrees with its finished branches.
    await t.pool.query(`UPDATE ${steps()} SET branches_done = 1 WHERE run_id = $1 AND step_type = 'parallel'`, [runs.fan])
    // A run without a usable snapshot.
    await t.pool.query(`UPDATE ${runsTable()} SET definition_snapshot = '{}'::jsonb WHERE id = $1`, [runs.fail])
    const report = await t.engine.verify({ graceMs: 0 })
    expect(report.ok).toBe(false)
    expect(await kinds()).toEqual(
      [
        `ended-run-with-unfinished-step:${runs.chain}`,
        `active-run-without-step:${runs.wait}`,
        `parallel-count-mismatch:${runs.fan}`,
        `snapshot-missing:${runs.fail}`,
      ].sort(),
    )
    const pending = report.problems.find((p) => p.kind === 'ended-run-with-unfinished-step')!
    expect(pending.stepRunId).toMatch(/^stp_/)
    expect(pending.detail).toMatch(/step "b" is still pending/)
    // Scoped to another tenant, nothing of this tenant shows.
    expect(await t.engine.forTenant('someone_else').verify({ graceMs: 0 })).toMatchObject({ ok: true })
  })

  it('reports an expired lease and a step long overdue in an active run', async () => {
    const trg = await t.engine.emit({ tenantId: 'w', type: 'x.happened', resourceType: 'wait' })
    const runId = (await t.engine.getRunsByTrigger(trg.id))[0]!.id
    await t.engine.stop()
    await t.pool.query(`UPDATE ${steps()} SET scheduled_for = now() - interval '1 hour' WHERE run_id = $1`, [runId])
    expect((await t.engine.verify({ graceMs: 60_000 })).problems.filter((p) => p.runId === runId).map((p) => p.kind)).toEqual(['overdue-step'])
    await t.pool.query(`UPDATE ${steps()} SET status = 'running', locked_until = now() - interval '1 hour' WHERE run_id = $1`, [runId])
    expect((await t.engine.verify({ graceMs: 60_000 })).problems.filter((p) => p.runId === runId).map((p) => p.kind)).toEqual(['expired-lease'])
  })
})
