import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PulseError } from '../../src/index.js'
import { startChildEngine, type ChildEngine } from '../support/child-engine.js'
import { sized, sleep } from '../support/ports.js'
import { startHarness, type ReliabilityHarness } from '../support/reliability.js'
import { servicesMissing } from '../support/services.js'
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js'
import { startThrowawayRedis, type ThrowawayRedis } from '../support/throwaway-redis.js'

const RUNS = sized(300, 2000)
const STEPS = 5

describe.skipIf(servicesMissing())('Postgres outages under load', () => {
  let pg: ThrowawayPostgres
  let redis: ThrowawayRedis
  let h: ReliabilityHarness
  let child: ChildEngine | undefined

  beforeAll(async () => {
    pg = await startThrowawayPostgres()
    redis = await startThrowawayRedis()
    h = await startHarness({ databaseUrl: pg.url, redis: redis.client() })
  })
  afterAll(async () => {
    child?.kill('SIGKILL')
    await h?.close()
    await redis?.stop()
    await pg?.destroy()
  })

  it('finishes every run through terminated connections and a restart; emit fails clearly while it is down', async () => {
    // The handlers write to the same Postgres (they record their executions), so during the outage
    // they fail too; a retry policy lets those attempts be tried again, as an application would.
    await h.workflow(Array.from({ length: STEPS }, (_, i) => ({ type: 'action' as const, name: `work_${i + 1}`, retryPolicy: { maxAttempts: 10, backoffMs: 300 } })))
    child = await startChildEngine({ databaseUrl: pg.url, redisUrl: redis.url, tablePrefix: h.tablePrefix, queuePrefix: h.queuePrefix, concurrency: 20, stepMs: 30, leaseMs: 2000, reconcileIntervalMs: 500 })
    const started = Date.now()
    await h.emitMany(RUNS)

    // Connections cut between and during steps.
    let terminated = 0
    for (let i = 0; i < 6; i++) {
      await sleep(250)
      terminated += await pg.terminateBackends()
    }

    // One restart while the load runs; emit in the gap must fail with a clear, typed error.
    const triggers = h.table('triggers')
    const { rows: before } = await h.pool.query(`SELECT count(*)::int AS n FROM ${triggers}`)
    await pg.stopServer()
    const err = await h.engine.emit({ tenantId: 't1', type: 'load.tick', source: 'test' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PulseError)
    expect((err as PulseError).code).toBe('DATABASE_UNAVAILABLE')
    expect((err as Error).message).toMatch(/emit\(\) failed because Postgres could not be reached/)
    await expect(h.engine.getRun('run_x')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' })
    await sleep(1000)
    await pg.startServer()
    const { rows: after } = await h.pool.query(`SELECT count(*)::int AS n FROM ${triggers}`)
    expect(after[0].n).toBe(before[0].n)
    await h.engine.emit({ tenantId: 't1', type: 'load.tick', source: 'test' })

    const counts = await h.waitQuiet(120_000).catch(async (e: unknown) => {
      const { rows: activity } = await h.pool.query(`SELECT state, wait_event_type, left(query, 80) AS q, now() - state_change AS age FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`)
      const { rows: stuck } = await h.pool.query(`SELECT status, locked_until < now() AS expired, count(*)::int FROM ${h.table('workflow_step_runs')} WHERE status <> 'completed' GROUP BY 1, 2`)
      console.error('DIAG', JSON.stringify({ activity, stuck, exit: child?.process.exitCode, signal: child?.process.signalCode }, null, 1), child?.events.slice(-5), (child as unknown as { stderrText?: () => string })?.stderrText?.())
      throw e
    })
    if (counts.failed) {
      const { rows } = await h.pool.query(`SELECT error_message, count(*)::int AS n FROM ${h.table('workflow_runs')} WHERE status = 'failed' GROUP BY 1`)
      console.error('[postgres-outage] failed runs', rows)
    }
    expect(counts).toEqual({ completed: RUNS + 1 })
    const { rows: steps } = await h.pool.query(`SELECT status, count(*)::int AS n FROM ${h.table('workflow_step_runs')} GROUP BY status`)
    expect(steps).toEqual([{ status: 'completed', n: (RUNS + 1) * STEPS }])
    const { rows: doubled } = await h.pool.query(`SELECT count(*)::int AS n FROM (SELECT run_id FROM ${h.table('hooks')} GROUP BY run_id HAVING count(*) > 1) x`)
    expect(doubled[0].n).toBe(0)
    // The worker survived its pool's dead idle connections (the engine listens for their errors).
    expect(child.process.exitCode).toBeNull()
    expect(await h.engine.verify()).toMatchObject({ ok: true })
    console.info(`[postgres-outage] ${RUNS} runs x ${STEPS} steps, ${terminated} backends terminated, one restart: all done in ${Date.now() - started} ms`)
  })
})
