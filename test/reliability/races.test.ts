import { Queue } from 'bullmq'
import { afterEach, describe, expect, it } from 'vitest'
import { PulseStateError, type WorkflowSpec } from '../../src/index.js'
import { eventually, sleep, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { sized } from '../support/ports.js'
import { servicesMissing } from '../support/services.js'

const CANCELS = sized(200, 1000)

describe.skipIf(servicesMissing())('races', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it(`cancel against step completion, ${CANCELS} times: one terminal state, no claim after the cancel`, async () => {
    const hooks = new Map<string, string[]>()
    t = await startTestEngine({
      concurrency: 20,
      onRunComplete: ({ run, status }) => void hooks.set(run.id, [...(hooks.get(run.id) ?? []), status]),
    })
    const { engine } = t
    // canceled_at is the cancel transaction's start, not its commit; triggers record the clock at
    // the moment each claim and the cancel actually write their row (both hold the run's lock).
    const events = `"${t.tablePrefix}race_events"`
    await t.pool.query(`
      CREATE TABLE ${events} (run_id text, what text, at timestamptz);
      CREATE FUNCTION "${t.tablePrefix}note_claim"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'running' AND NEW.fence > OLD.fence AND NEW.attempt > OLD.attempt THEN
          INSERT INTO ${events} VALUES (NEW.run_id, 'claim', clock_timestamp());
        END IF;
        RETURN NEW;
      END $$;
      CREATE FUNCTION "${t.tablePrefix}note_cancel"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'canceled' AND OLD.status <> 'canceled' THEN
          INSERT INTO ${events} VALUES (NEW.id, 'cancel', clock_timestamp());
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER note_claim AFTER UPDATE ON "${t.tablePrefix}workflow_step_runs" FOR EACH ROW EXECUTE FUNCTION "${t.tablePrefix}note_claim"();
      CREATE TRIGGER note_cancel AFTER UPDATE ON "${t.tablePrefix}workflow_runs" FOR EACH ROW EXECUTE FUNCTION "${t.tablePrefix}note_cancel"();
    `)
    engine.registerTrigger('x.happened', { source: 'app' })
    for (const name of ['one', 'two', 'three']) engine.registerAction(name, async () => ({ success: true, data: { name } }))
    await engine.createWorkflow({ tenantId: 'w', name: 'w', triggerType: 'x.happened', steps: ['one', 'two', 'three'].map((name) => ({ type: 'action' as const, name })), config: {}, isEnabled: true })

    const runIds: string[] = []
    let refused = 0
    for (let i = 0; i < CANCELS; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, CANCELS - i) }, async () => {
          const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
          const [run] = await engine.getRunsByTrigger(trg.id)
          runIds.push(run!.id)
          await sleep(Math.random() * 40)
          await engine.cancelRun(run!.id, 'race').catch((err: unknown) => {
            // Completed first: the state machine refuses, which is one of the two right answers.
            expect(err).toBeInstanceOf(PulseStateError)
            refused += 1
          })
        }),
      )
    }
    for (const id of runIds) await waitForRun(engine, id)
    const { rows } = await t.pool.query(
      `SELECT r.id, r.status, r.completed_at IS NOT NULL AS completed, r.canceled_at IS NOT NULL AS canceled,
              (SELECT count(*) FROM ${events} c JOIN ${events} x ON x.run_id = c.run_id
               WHERE c.run_id = r.id AND c.what = 'cancel' AND x.what = 'claim' AND x.at > c.at)::int AS started_after_cancel,
              count(s.*) FILTER (WHERE s.status IN ('pending', 'scheduled', 'running'))::int AS unfinished
       FROM "${t.tablePrefix}workflow_runs" r JOIN "${t.tablePrefix}workflow_step_runs" s ON s.run_id = r.id
       GROUP BY r.id`,
    )
    expect(rows).toHaveLength(CANCELS)
    let canceled = 0
    for (const r of rows) {
      expect(['completed', 'canceled']).toContain(r.status)
      expect(r.completed && r.canceled).toBe(false)
      expect(r.started_after_cancel).toBe(0)
      expect(r.unfinished).toBe(0)
      if (r.status === 'canceled') canceled += 1
    }
    expect(canceled + refused).toBe(CANCELS)
    // The completion hook saw each run end exactly once, with the status it ended in.
    await eventually(() => (hooks.size === CANCELS ? true : undefined), 5000, 'a hook for every run')
    for (const r of rows) expect(hooks.get(r.id)).toEqual([r.status])
    expect(await engine.verify()).toMatchObject({ ok: true })
    await t.pool.query(`DROP TABLE ${events}; DROP FUNCTION "${t.tablePrefix}note_claim"() CASCADE; DROP FUNCTION "${t.tablePrefix}note_cancel"() CASCADE`)
    console.info(`[races] ${CANCELS} cancel/complete races: ${canceled} canceled, ${refused} completed first`)
  })

  it('retry while a stale job of the failed attempt arrives: the step runs once more, the run ends once', async () => {
    let attempts = 0
    const hooks: string[] = []
    t = await startTestEngine({ onRunComplete: ({ status }) => void hooks.push(status) })
    const { engine } = t
    engine.registerTrigger('x.happened', { source: 'app' })
    engine.registerAction('flaky', () => {
      attempts += 1
      return attempts === 1 ? { success: false, error: 'first time' } : { success: true, data: { attempts } }
    })
    await engine.createWorkflow({ tenantId: 'w', name: 'w', triggerType: 'x.happened', steps: [{ type: 'action', name: 'flaky' }], config: {}, isEnabled: true })
    const queue = new Queue(`${t.queuePrefix}-steps`, { connection: t.redis.duplicate({ maxRetriesPerRequest: null }), prefix: t.queuePrefix })
    try {
      for (let i = 0; i < sized(20, 100); i++) {
        attempts = 0
        hooks.length = 0
        const trg = await engine.emit({ tenantId: 'w', type: 'x.happened' })
        const [run] = await engine.getRunsByTrigger(trg.id)
        expect((await waitForRun(engine, run!.id)).status).toBe('failed')
        const [step] = await engine.getRunSteps(run!.id)
        const stale = { stepRunId: step!.id, runId: run!.id, tenantId: 'w' }
        // Stale deliveries of the failed attempt race the retry (duplicates of old job ids).
        await Promise.all([
          engine.retryRun(run!.id),
          queue.add('step', stale, { jobId: `${step!.id}-stale-${i}-a` }),
          queue.add('step', stale, { jobId: `${step!.id}-stale-${i}-b` }),
        ])
        expect((await waitForRun(engine, run!.id)).status).toBe('completed')
        await sleep(50)
        expect(attempts).toBe(2)
        expect(hooks).toEqual(['failed', 'completed'])
      }
    } finally {
      await queue.close()
    }
  })

  it('two engines syncing the same tenant at once store one version per content', async () => {
    t = await startTestEngine({}, { start: false })
    const other = t.sibling()
    for (const e of [t.engine, other]) {
      e.registerTrigger('x.happened', { source: 'app' })
      e.registerAction('a', () => undefined)
    }
    const spec = (n: number): WorkflowSpec => ({ key: 'k', name: 'k', triggerType: 'x.happened', steps: [{ type: 'action', name: 'a' }], config: { n }, isEnabled: true })
    const rounds = sized(20, 100)
    for (let n = 1; n <= rounds; n++) {
      const plans = await Promise.all([t.engine.sync({ tenantId: 'w', workflows: [spec(n)] }), other.sync({ tenantId: 'w', workflows: [spec(n)] })])
      const changed = plans.flatMap((p) => [...p.created, ...p.updated])
      expect(changed).toHaveLength(1)
      expect(plans.flatMap((p) => p.unchanged)).toHaveLength(1)
    }
    const { rows } = await t.pool.query(`SELECT key, version FROM "${t.tablePrefix}workflow_definitions" WHERE tenant_id = 'w'`)
    expect(rows).toEqual([{ key: 'k', version: rounds }])
  })
})
