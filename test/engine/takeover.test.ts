import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, PulseConfigError } from '../../src/index.js'
import { createStore } from '../../src/store/index.js'
import { STATUS_MOVES } from '../../src/runtime/run-state.js'
import { closeChildAndEngine, startChildEngine, type ChildEngine, type WorkerConfig } from '../support/child-engine.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { DATABASE_URL, MODE, REDIS_URL, servicesMissing } from '../support/services.js'

const RUNS = 3
/** The dead engine's own timeout: the others honour the value the silent engine declared. */
const WORKER_TIMEOUT_MS = 1000
/** Far beyond the test's bound: a takeover inside it cannot have come from an expired lease. */
const LEASE_MS = 60_000

describe.skipIf(servicesMissing())('takeover: a dead engine’s claims go to a live one after workerTimeoutMs', () => {
  let t: TestEngine | undefined
  let child: ChildEngine | undefined
  afterEach(async () => {
    await closeChildAndEngine(child, t)
    child = undefined
    t = undefined
  })

  /** An engine in a child process on this test's database and queue, so it can be SIGKILLed. */
  async function childEngine(test: TestEngine, extra: Partial<WorkerConfig>): Promise<ChildEngine> {
    const base = { tablePrefix: test.tablePrefix, queuePrefix: test.queuePrefix, concurrency: RUNS, leaseMs: LEASE_MS, workerTimeoutMs: WORKER_TIMEOUT_MS, ...extra }
    if (MODE === 'redis') return startChildEngine({ ...base, databaseUrl: DATABASE_URL, redisUrl: REDIS_URL }, { actions: ['hang_1', 'work_2'] })
    if (MODE === 'postgres') return startChildEngine({ ...base, databaseUrl: DATABASE_URL }, { actions: ['hang_1', 'work_2'] })
    const url = (await test.engine.info()).databaseUrl!
    return startChildEngine({ ...base, databaseUrl: url, queueConnection: url, queuePollMs: 50, preparedStatements: false }, { actions: ['hang_1', 'work_2'] })
  }

  it('re-runs the steps of a SIGKILLed engine within its workerTimeoutMs plus a margin, once each, fenced', async () => {
    // `engine` emits and reads; `survivor` is the live worker (in the embedded mode `engine`
    // owns the database, so it must outlive the survivor's stop()).
    t = await startTestEngine({ leaseMs: LEASE_MS, reconcileIntervalMs: 30_000 }, { start: false })
    const { engine, pool } = t
    const survivor = t.sibling()
    const table = (name: string) => `"${t!.tablePrefix}${name}"`
    const ranHere = new Map<string, number>()
    engine.registerTrigger('job.posted', { source: 'app' })
    for (const name of ['hang_1', 'work_2']) {
      survivor.registerAction(name, (ctx) => {
        ranHere.set(`${ctx.step.id}`, (ranHere.get(ctx.step.id) ?? 0) + 1)
        return { success: true, data: { by: 'survivor' } }
      })
    }
    await engine.createWorkflow({
      tenantId: 'w',
      name: 'two steps',
      triggerType: 'job.posted',
      steps: [{ type: 'action', name: 'hang_1' }, { type: 'action', name: 'work_2' }],
      config: {},
      isEnabled: true,
    })

    // The child takes every first step and hangs in it; nothing else is started yet, so the
    // emits go through the queue and only the child takes them.
    child = await childEngine(t, {})
    const triggers = await Promise.all(Array.from({ length: RUNS }, () => engine.emit({ tenantId: 'w', type: 'job.posted' })))
    const runIds = (await Promise.all(triggers.map((trg) => engine.getRunsByTrigger(trg.id)))).flat().map((r) => r.id)
    expect(runIds).toHaveLength(RUNS)
    await eventually(
      async () => {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table('executions')} WHERE outcome = 'started' AND pid = $1`, [child!.pid])
        return rows[0].n >= RUNS ? true : undefined
      },
      20_000,
      'the child engine starting every first step',
    )
    const { rows: claimedBy } = await pool.query(
      `SELECT DISTINCT s.claimed_by, w.pid FROM ${table('workflow_step_runs')} s LEFT JOIN ${table('workers')} w ON w.id = s.claimed_by WHERE s.status = 'running'`,
    )
    expect(claimedBy).toEqual([{ claimed_by: expect.stringMatching(/^wkr_/), pid: child.pid }])
    const deadId = claimedBy[0].claimed_by as string

    await survivor.start()
    child.kill('SIGKILL')
    await child.exited
    const { rows: clock } = await pool.query<{ killed_at: Date }>('SELECT now() AS killed_at')
    const killedAt = clock[0]!.killed_at

    for (const id of runIds) expect((await waitForRun(engine, id, ['completed'], 20_000)).status).toBe('completed')

    // Measured by the database's clock: the kill, then each re-claim of a step the child held.
    const { rows: taken } = await pool.query<{ after_ms: number; attempt: number; fence: string; claimed_by: string }>(
      `SELECT extract(epoch FROM (started_at - $1::timestamptz)) * 1000 AS after_ms, attempt, fence, claimed_by
       FROM ${table('workflow_step_runs')} WHERE step_name = 'hang_1' ORDER BY started_at`,
      [killedAt],
    )
    expect(taken).toHaveLength(RUNS)
    const firstRerunMs = Math.min(...taken.map((s) => Number(s.after_ms)))
    const lastRerunMs = Math.max(...taken.map((s) => Number(s.after_ms)))
    // The bound: the dead engine's timeout, one beat of this engine (1 s) and a generous margin
    // for a busy machine, and far below the lease a takeover would otherwise wait for.
    expect(lastRerunMs).toBeLessThan(WORKER_TIMEOUT_MS + 5_000)
    for (const s of taken) {
      // Claimed by the child (fence 1), voided by the takeover (2), claimed here (3).
      expect(s).toMatchObject({ attempt: 2, fence: '3' })
      expect(s.claimed_by).not.toBe(deadId)
    }
    // No extra executions: each step the child held ran once more here, every other step once.
    expect(ranHere.size).toBe(RUNS * 2)
    expect([...ranHere.values()].every((n) => n === 1)).toBe(true)
    const { rows: contexts } = await pool.query(`SELECT context FROM ${table('workflow_runs')}`)
    for (const { context } of contexts) expect(context).toEqual({ hang_1: { by: 'survivor' }, work_2: { by: 'survivor' } })

    // The dead engine's row is gone; the live one's stays until it stops.
    const live = await pool.query(`SELECT id FROM ${table('workers')}`)
    expect(live.rows.map((r) => r.id)).not.toContain(deadId)
    expect(live.rows).toHaveLength(1)
    await survivor.stop()
    expect((await pool.query(`SELECT id FROM ${table('workers')}`)).rows).toEqual([])
    console.info(`[takeover ${MODE}] first re-run ${Math.round(firstRerunMs)} ms, last ${Math.round(lastRerunMs)} ms after the kill (workerTimeoutMs ${WORKER_TIMEOUT_MS})`)
  })

  it('voids a dead engine’s claims once when several engines beat at the same moment, and nobody else’s', async () => {
    t = await startTestEngine({}, { start: false })
    const { engine, pool } = t
    const steps = `"${t.tablePrefix}workflow_step_runs"`
    const storeOf = (workerId: string) => createStore(pool, t!.tablePrefix, 'public', { statusMoves: STATUS_MOVES, workerId })
    const beat = (id: string, expiresInMs: number) => storeOf(id).workers.beat({ id, host: 'test', pid: 1, timeoutMs: 5000, expiresInMs })
    engine.registerTrigger('job.posted', { source: 'app' })
    await engine.createWorkflow({ tenantId: 'w', name: 'one step', triggerType: 'job.posted', steps: [{ type: 'action', name: 'a' }], config: {}, isEnabled: true })
    const runs = (await Promise.all(Array.from({ length: 6 }, () => engine.emit({ tenantId: 'w', type: 'job.posted' }).then((trg) => engine.getRunsByTrigger(trg.id))))).flat()
    const { rows: pending } = await pool.query<{ id: string; run_id: string }>(`SELECT id, run_id FROM ${steps} ORDER BY id`)
    expect(pending).toHaveLength(6)
    const claim = (id: string, rows: typeof pending) => storeOf(id).steps.claimMany(rows.map((r) => ({ stepId: r.id, runId: r.run_id })), 60_000)

    await beat('wkr_dead', 60_000)
    await beat('wkr_live', 60_000)
    expect((await claim('wkr_dead', pending.slice(0, 4))).every((c) => c !== null)).toBe(true)
    expect((await claim('wkr_live', pending.slice(4))).every((c) => c !== null)).toBe(true)
    // A parallel step waiting on its branches holds no worker: no lease, nothing to take over.
    await pool.query(`UPDATE ${steps} SET locked_until = NULL WHERE id = $1`, [pending[3]!.id])
    // wkr_dead stops beating: its row runs out (its claims' leases have a minute left).
    await pool.query(`UPDATE "${t.tablePrefix}workers" SET expires_at = now() - interval '1 second' WHERE id = 'wkr_dead'`)

    const results = await Promise.all(['wkr_a', 'wkr_b', 'wkr_c', 'wkr_d'].map((id) => beat(id, 60_000)))
    const released = results.flatMap((r) => r.released.map((x) => x.step.id)).sort()
    expect(released).toEqual(pending.slice(0, 3).map((r) => r.id))
    expect(results.flatMap((r) => r.dead.map((d) => d.id))).toEqual(['wkr_dead'])
    expect(results.every((r) => r.known === false)).toBe(true)

    const { rows: after } = await pool.query(`SELECT id, fence::int, claimed_by, locked_until < now() AS expired FROM ${steps} ORDER BY id`)
    expect(after).toEqual([
      ...pending.slice(0, 3).map((r) => ({ id: r.id, fence: 2, claimed_by: 'wkr_dead', expired: true })),
      { id: pending[3]!.id, fence: 1, claimed_by: 'wkr_dead', expired: null },
      ...pending.slice(4).map((r) => ({ id: r.id, fence: 1, claimed_by: 'wkr_live', expired: false })),
    ])
    // A voided claim is an expired lease: the next claim takes the step, with a new fence.
    const [retaken] = await claim('wkr_a', pending.slice(0, 1))
    expect(retaken?.step).toMatchObject({ fence: 3, attempt: 2 })
    expect(runs).toHaveLength(6)
  })

  it('after an outage that silenced every engine, judges nobody until the others have had a timeout to beat again', async () => {
    t = await startTestEngine({}, { start: false })
    const { engine, pool } = t
    const workers = `"${t.tablePrefix}workers"`
    const storeOf = (workerId: string) => createStore(pool, t!.tablePrefix, 'public', { statusMoves: STATUS_MOVES, workerId })
    const beat = (id: string) => storeOf(id).workers.beat({ id, host: 'test', pid: 1, timeoutMs: 5000, expiresInMs: 4000 })
    engine.registerTrigger('job.posted', { source: 'app' })
    await engine.createWorkflow({ tenantId: 'w', name: 'one step', triggerType: 'job.posted', steps: [{ type: 'action', name: 'a' }], config: {}, isEnabled: true })
    const [run] = await engine.getRunsByTrigger((await engine.emit({ tenantId: 'w', type: 'job.posted' })).id)
    const { rows: pending } = await pool.query<{ id: string }>(`SELECT id FROM "${t.tablePrefix}workflow_step_runs"`)

    await beat('wkr_first')
    await beat('wkr_other')
    expect(await storeOf('wkr_other').steps.claimMany([{ stepId: pending[0]!.id, runId: run!.id }], 60_000)).toHaveLength(1)
    // The database was gone for longer than the timeout: both rows ran out.
    await pool.query(`UPDATE ${workers} SET expires_at = now() - interval '10 seconds', seen_at = now() - interval '14 seconds'`)

    // The first engine back refreshes its row but declares nobody dead yet...
    const back = await beat('wkr_first')
    expect(back).toMatchObject({ known: true, dead: [], released: [] })
    // ...so the other one, reconnecting a moment later, still holds its claim.
    expect(await beat('wkr_other')).toMatchObject({ known: true, dead: [] })
    expect((await beat('wkr_first')).released).toEqual([])
    const { rows: held } = await pool.query(`SELECT fence::int, claimed_by FROM "${t.tablePrefix}workflow_step_runs"`)
    expect(held).toEqual([{ fence: 1, claimed_by: 'wkr_other' }])

    // Once its own timeout has passed with beats, it judges again: an engine that stays silent is dead.
    await pool.query(`UPDATE ${workers} SET judges_from = now() - interval '1 second' WHERE id = 'wkr_first'`)
    await pool.query(`UPDATE ${workers} SET expires_at = now() - interval '1 second' WHERE id = 'wkr_other'`)
    const judged = await beat('wkr_first')
    expect(judged.dead.map((d) => d.id)).toEqual(['wkr_other'])
    expect(judged.released.map((r) => r.step.id)).toEqual([pending[0]!.id])
  })

  it('refuses a workerTimeoutMs that is not a whole number of milliseconds from 500 to 3600000', () => {
    for (const workerTimeoutMs of [0, 100, 2.5, -1, 4_000_000, Number.NaN]) {
      expect(() => createEngine({ dataDir: false, workerTimeoutMs })).toThrow(PulseConfigError)
    }
    expect(() => createEngine({ dataDir: false, workerTimeoutMs: 100 })).toThrow(/workerTimeoutMs must be a whole number from 500 to 3600000; got 100/)
  })
})
