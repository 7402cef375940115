import { describe, expect, it } from 'vitest'
import { startChildEngine } from '../support/child-engine.js'
import { sleep } from '../support/ports.js'
import { useWorkerWorld } from '../support/reliability.js'
import { DATABASE_URL, servicesMissing } from '../support/services.js'

const RUNS = 5

// Two ways another worker takes a frozen worker's steps over: its claims' leases run out, or (with
// a lease far too long to matter) its liveness row expires and a live worker voids its claims.
const TAKEOVERS = [
  { by: 'its lease ran out', timing: { leaseMs: 1000 } },
  { by: 'it stopped beating (workerTimeoutMs)', timing: { leaseMs: 60_000, workerTimeoutMs: 1000 } },
]

describe.skipIf(servicesMissing()).each(TAKEOVERS)('a worker frozen (SIGSTOP) until $by, then resumed (SIGCONT)', ({ timing }) => {
  const world = useWorkerWorld()

  it('changes nothing with its late writes: the second worker’s results and context stay', async () => {
    const { redis, h, children } = world
    await h.workflow([{ type: 'action', name: 'work_1' }, { type: 'action', name: 'work_2' }])
    const base = { databaseUrl: DATABASE_URL, redisUrl: redis.url, tablePrefix: h.tablePrefix, queuePrefix: h.queuePrefix, ...timing, reconcileIntervalMs: 300 }
    const frozen = await startChildEngine({ ...base, concurrency: RUNS, stepMs: 3000 })
    children.push(frozen)
    const runIds = await h.emitMany(RUNS)
    const executions = h.table('executions')
    for (;;) {
      const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM ${executions} WHERE outcome = 'started' AND pid = $1`, [frozen.pid])
      if (rows[0].n >= RUNS) break
      await sleep(20)
    }
    frozen.kill('SIGSTOP')
    const second = await startChildEngine({ ...base, concurrency: RUNS, stepMs: 0 })
    children.push(second)
    await h.waitQuiet(20_000)
    const snapshot = async () =>
      (
        await h.pool.query(
          `SELECT r.id, r.status, r.context, r.completed_at, json_agg(json_build_object('name', s.step_name, 'status', s.status, 'result', s.result, 'fence', s.fence) ORDER BY s.step_path) AS steps
           FROM ${h.table('workflow_runs')} r JOIN ${h.table('workflow_step_runs')} s ON s.run_id = r.id GROUP BY r.id ORDER BY r.id`,
        )
      ).rows
    const before = await snapshot()
    expect(before).toHaveLength(RUNS)
    for (const run of before) {
      expect(run.status).toBe('completed')
      expect(run.context).toEqual({ work_1: { pid: second.pid }, work_2: { pid: second.pid } })
    }

    frozen.kill('SIGCONT')
    // The resumed handlers finish and try to record their results.
    for (;;) {
      const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM ${executions} WHERE outcome = 'finished' AND pid = $1`, [frozen.pid])
      if (rows[0].n >= RUNS) break
      await sleep(50)
    }
    await sleep(1500)
    expect(await snapshot()).toEqual(before)
    const { rows: hooks } = await h.pool.query(`SELECT run_id, count(*)::int AS n FROM ${h.table('hooks')} GROUP BY run_id`)
    expect(hooks).toHaveLength(RUNS)
    expect(hooks.every((x) => x.n === 1)).toBe(true)
    const { rows: lateSteps } = await h.pool.query(`SELECT count(*)::int AS n FROM ${executions} WHERE pid = $1 AND step_name = 'work_2'`, [frozen.pid])
    expect(lateSteps[0].n).toBe(0)
    expect(runIds).toHaveLength(RUNS)
    expect(await h.engine.verify()).toMatchObject({ ok: true })
  })
})
