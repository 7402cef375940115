import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEngine } from '../../src/index.js'
import { startChildEngine, type ChildEngine } from '../support/child-engine.js'
import { sized, sleep } from '../support/ports.js'
import { startHarness, type ReliabilityHarness } from '../support/reliability.js'
import { DATABASE_URL, servicesMissing } from '../support/services.js'
import { startThrowawayRedis, type ThrowawayRedis } from '../support/throwaway-redis.js'

const PER_SHAPE = sized(30, 200)

describe.skipIf(servicesMissing())('Redis loses its data', () => {
  let redis: ThrowawayRedis
  let h: ReliabilityHarness
  let child: ChildEngine | undefined

  beforeEach(async () => {
    redis = await startThrowawayRedis()
    h = await startHarness({ redis: redis.client() })
    await h.workflow([{ type: 'delay', name: 'wait', delayMs: 2500 }, { type: 'action', name: 'work_1' }], 'delay')
    await h.workflow(
      [
        { type: 'parallel', name: 'fan', branches: [[{ type: 'action', name: 'work_1' }, { type: 'action', name: 'work_2' }], [{ type: 'action', name: 'work_3' }]] },
        { type: 'action', name: 'work_4' },
      ],
      'parallel',
    )
    await h.workflow(Array.from({ length: 5 }, (_, i) => ({ type: 'action' as const, name: `work_${i + 1}` })), 'chain')
    await h.engine.createWorkflow({
      tenantId: 't1',
      name: 'every second',
      triggerType: 'cron.tick',
      steps: [{ type: 'action', name: 'work_5' }],
      config: {},
      isEnabled: true,
      cronExpression: '* * * * * *',
    })
    child = await startChildEngine({ databaseUrl: DATABASE_URL, redisUrl: redis.url, tablePrefix: h.tablePrefix, queuePrefix: h.queuePrefix, concurrency: 20, stepMs: 150, reconcileIntervalMs: 500 })
  })
  afterEach(async () => {
    child?.kill('SIGKILL')
    await h?.close()
    await redis?.stop()
  })

  const emitAll = async () => {
    const ids: string[] = []
    for (const shape of ['delay', 'parallel', 'chain']) ids.push(...(await h.emitMany(PER_SHAPE, shape)))
    return ids
  }

  const cronTicksSince = async (since: Date) => {
    const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM ${h.table('triggers')} WHERE id LIKE 'trg_cron_%' AND created_at > $1`, [since])
    return rows[0].n as number
  }

  const checkOutcome = async (completedBefore: Set<string>) => {
    // Stop the cron workflow so the set of runs stops growing, then let everything finish.
    const { rows: cronDefs } = await h.pool.query(`SELECT id FROM ${h.table('workflow_definitions')} WHERE cron_expression IS NOT NULL`)
    await h.engine.disableWorkflow(cronDefs[0].id)
    const counts = await h.waitQuiet(60_000)
    expect(Object.keys(counts)).toEqual(['completed'])
    const { rows } = await h.pool.query(
      `SELECT step_run_id, count(*)::int AS n FROM ${h.table('executions')} WHERE outcome = 'started' GROUP BY step_run_id HAVING count(*) > 1`,
    )
    // Nothing runs twice: jobs were lost, never workers, so every step executed exactly once.
    expect(rows).toEqual([])
    const { rows: again } = await h.pool.query(`SELECT count(*)::int AS n FROM ${h.table('executions')} WHERE step_run_id = ANY($1::text[]) AND outcome = 'started'`, [
      [...completedBefore],
    ])
    expect(again[0].n).toBe(completedBefore.size)
    expect(await h.engine.verify()).toMatchObject({ ok: true })
  }

  const completedSteps = async () => {
    const { rows } = await h.pool.query<{ id: string }>(`SELECT id FROM ${h.table('workflow_step_runs')} WHERE status = 'completed' AND step_type = 'action'`)
    return new Set(rows.map((r) => r.id))
  }

  it('FLUSHALL: the reconciler re-creates lost jobs and the schedule keeper the cron scheduler', async () => {
    const started = Date.now()
    await emitAll()
    await sleep(1000)
    const before = await completedSteps()
    const admin = redis.client()
    await admin.flushall()
    expect(await admin.dbsize()).toBeLessThan(5)
    const flushedAt = new Date()
    // Cron ticks come back once the keeper re-creates the scheduler (one reconcile interval).
    await expectEventually(async () => (await cronTicksSince(new Date(flushedAt.getTime() + 1500))) >= 2, 15_000, 'cron ticks after FLUSHALL')
    await checkOutcome(before)
    console.info(`[redis-loss] FLUSHALL with ${3 * PER_SHAPE} runs in delays, branches and chains: all done in ${Date.now() - started} ms`)
  })

  it('restart: workers reconnect by themselves and every run completes', async () => {
    const started = Date.now()
    await emitAll()
    await sleep(1000)
    const before = await completedSteps()
    await redis.restart({ downMs: 1000 })
    const restartedAt = new Date()
    // New signals are accepted again once the parent's connection is back.
    await expectEventually(async () => (await h.emitMany(5, 'chain').then(() => true, () => false)), 15_000, 'emit after the restart')
    await expectEventually(async () => (await cronTicksSince(new Date(restartedAt.getTime() + 1500))) >= 2, 15_000, 'cron ticks after the restart')
    await checkOutcome(before)
    console.info(`[redis-loss] restart with ${3 * PER_SHAPE} runs in flight: all done in ${Date.now() - started} ms`)
  })

  it('the reconciler and the schedule keeper run every 30 s by default', () => {
    // The defaults are what the README promises; the tests above use 500 ms.
    const engine = createEngine({ db: h.pool, tablePrefix: h.tablePrefix })
    expect(engine).toBeDefined()
    return import('../../src/engine/config.js').then(({ resolveConfig }) => {
      expect(resolveConfig({ db: h.pool }).reconcileIntervalMs).toBe(30_000)
    })
  })
})

async function expectEventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await sleep(200)
  }
}
