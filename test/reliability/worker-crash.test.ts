import { describe, expect, it } from 'vitest'
import { startChildEngine } from '../support/child-engine.js'
import { sized, sleep } from '../support/ports.js'
import { useWorkerWorld } from '../support/reliability.js'
import { DATABASE_URL, servicesMissing } from '../support/services.js'

const RUNS = sized(500, 2000)
const STEPS = 5

describe.skipIf(servicesMissing())('a worker killed with SIGKILL mid-load', () => {
  const world = useWorkerWorld()

  it(`finishes all ${RUNS} runs of ${STEPS} steps on a new process, every step recorded once`, async () => {
    const { redis, h, children } = world
    await h.workflow(Array.from({ length: STEPS }, (_, i) => ({ type: 'action' as const, name: `work_${i + 1}` })))
    const config = { databaseUrl: DATABASE_URL, redisUrl: redis.url, tablePrefix: h.tablePrefix, queuePrefix: h.queuePrefix, concurrency: 20, stepMs: 20, leaseMs: 2000, reconcileIntervalMs: 500 }
    const first = await startChildEngine(config)
    children.push(first)
    const started = Date.now()
    const runIds = await h.emitMany(RUNS)
    expect(runIds).toHaveLength(RUNS)

    // Kill once a good part of the work is done and plenty is in flight.
    const steps = h.table('workflow_step_runs')
    for (;;) {
      const { rows } = await h.pool.query(`SELECT count(*) FILTER (WHERE status = 'completed')::int AS done FROM ${steps}`)
      if (rows[0].done >= (RUNS * STEPS) / 4) break
      await sleep(20)
    }
    first.kill('SIGKILL')
    await first.exited
    const { rows: flying } = await h.pool.query(`SELECT count(*)::int AS n FROM ${steps} WHERE status = 'running'`)
    const inFlight = flying[0].n as number
    const { rows: doneAtKill } = await h.pool.query(`SELECT count(*)::int AS n FROM ${h.table('workflow_runs')} WHERE status = 'completed'`)

    const second = await startChildEngine(config)
    children.push(second)
    const counts = await h.waitQuiet(120_000)
    const elapsed = Date.now() - started
    expect(counts).toEqual({ completed: RUNS })

    // Exactly one completion per step: one row per position, every one completed once.
    const { rows: stepRows } = await h.pool.query(`SELECT status, count(*)::int AS n FROM ${steps} GROUP BY status`)
    expect(stepRows).toEqual([{ status: 'completed', n: RUNS * STEPS }])
    const { rows: contexts } = await h.pool.query(
      `SELECT count(*)::int AS n FROM ${h.table('workflow_runs')} WHERE (SELECT count(*) FROM jsonb_object_keys(context)) <> ${STEPS}`,
    )
    expect(contexts[0].n).toBe(0)

    // Executions beyond one per step: at most the steps that were in flight when the worker died.
    const { rows: ex } = await h.pool.query(
      `SELECT count(*)::int AS started, count(DISTINCT step_run_id)::int AS steps FROM ${h.table('executions')} WHERE outcome = 'started'`,
    )
    const extra = ex[0].started - ex[0].steps
    expect(ex[0].steps).toBe(RUNS * STEPS)
    expect(extra).toBeLessThanOrEqual(inFlight)

    // Completion hooks: never twice. A hook runs after its commit in the process that committed,
    // so a run that completed in the instant before SIGKILL can miss its hook; count those.
    const { rows: hooks } = await h.pool.query(
      `SELECT count(*)::int AS runs, count(*) FILTER (WHERE n > 1)::int AS doubled FROM (SELECT run_id, count(*) AS n FROM ${h.table('hooks')} GROUP BY run_id) x`,
    )
    const missingHooks = RUNS - hooks[0].runs
    expect(hooks[0].doubled).toBe(0)
    expect(missingHooks).toBeLessThanOrEqual(inFlight)
    expect(await h.engine.verify()).toEqual({ ok: true, problems: [], truncated: false })
    console.info(
      `[worker-crash] ${RUNS} runs x ${STEPS} steps in ${elapsed} ms; killed with ${inFlight} steps in flight and ${doneAtKill[0].n} runs done; ${extra} extra executions; ${missingHooks} hooks lost at the kill`,
    )
  })
})
