import { describe, expect, it } from 'vitest'
import { startChildEngine } from '../support/child-engine.js'
import { sized } from '../support/ports.js'
import { useWorkerWorld } from '../support/reliability.js'
import { DATABASE_URL, servicesMissing } from '../support/services.js'

const RUNS = sized(2000, 20_000)
const ACTIONS = ['work_1', 'work_2', 'work_3', 'work_4', 'work_5', 'flaky_1', 'fail_1']

describe.skipIf(servicesMissing())('soak: two engine processes', () => {
  const world = useWorkerWorld()

  it(`runs ${RUNS} runs with delays, parallel branches, retries and failures and leaves a consistent database`, async () => {
    const { redis, h, children } = world
    const retry = { maxAttempts: 3, backoffMs: 100 }
    await h.workflow([{ type: 'action', name: 'work_1' }, { type: 'delay', name: 'pause', delayMs: 300 }, { type: 'action', name: 'work_2' }], 'delay')
    await h.workflow(
      [
        {
          type: 'parallel',
          name: 'fan',
          branches: [
            [{ type: 'action', name: 'work_1' }, { type: 'action', name: 'flaky_1', retryPolicy: retry }],
            [{ type: 'delay', name: 'short', delayMs: 200 }, { type: 'action', name: 'work_2' }],
            [{ type: 'condition', name: 'cond_false', onFalse: 'complete' }, { type: 'action', name: 'work_3' }],
          ],
        },
        { type: 'action', name: 'work_4' },
      ],
      'parallel',
    )
    await h.workflow([{ type: 'action', name: 'work_1' }, { type: 'action', name: 'fail_1', retryPolicy: { maxAttempts: 2, backoffMs: 100 } }, { type: 'action', name: 'work_5' }], 'failing')
    await h.workflow(
      [
        { type: 'condition', name: 'cond_true' },
        { type: 'parallel', name: 'fan2', branches: [[{ type: 'action', name: 'fail_1' }], [{ type: 'delay', name: 'd', delayMs: 500 }, { type: 'action', name: 'work_2' }]] },
      ],
      'parallel-fail',
    )
    const config = { databaseUrl: DATABASE_URL, redisUrl: redis.url, tablePrefix: h.tablePrefix, queuePrefix: h.queuePrefix, concurrency: 25, stepMs: 4, reconcileIntervalMs: 1000 }
    children.push(await startChildEngine(config, { actions: ACTIONS }), await startChildEngine(config, { actions: ACTIONS }))
    const started = Date.now()
    const shapes = ['delay', 'parallel', 'parallel', 'failing', 'parallel-fail']
    const perShape = Math.ceil(RUNS / shapes.length)
    for (const shape of new Set(shapes)) await h.emitMany(perShape * shapes.filter((s) => s === shape).length, shape)
    const counts = await h.waitQuiet(sized(240_000, 1_800_000))
    const elapsed = Date.now() - started
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    expect(total).toBe(perShape * shapes.length)
    expect(counts.pending ?? 0).toBe(0)
    expect(counts.running ?? 0).toBe(0)
    expect(counts.waiting ?? 0).toBe(0)
    // The failing shapes fail, the others complete.
    expect(counts.failed).toBe(perShape * 2)
    expect(counts.completed).toBe(perShape * 3)

    const { rows: orphans } = await h.pool.query(
      `SELECT count(*)::int AS n FROM ${h.table('workflow_step_runs')} WHERE status IN ('pending', 'scheduled') OR (status = 'running' AND step_type <> 'parallel')`,
    )
    expect(orphans[0].n).toBe(0)
    const report = await h.engine.verify({ graceMs: 0 })
    expect(report.problems).toEqual([])
    expect(report.ok).toBe(true)
    const { rows: work } = await h.pool.query(`SELECT count(*)::int AS steps FROM ${h.table('workflow_step_runs')}`)
    const { rows: perPid } = await h.pool.query(`SELECT pid, count(*)::int AS n FROM ${h.table('executions')} WHERE outcome = 'started' GROUP BY pid`)
    expect(perPid).toHaveLength(2)
    console.info(`[soak] ${total} runs, ${work[0].steps} step rows, through 2 processes (${perPid.map((p) => p.n).join(' + ')} handler calls) in ${elapsed} ms: ${JSON.stringify(counts)}; verify() ok`)
  })
})
