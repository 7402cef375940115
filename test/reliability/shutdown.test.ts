import { describe, expect, it } from 'vitest'
import { startChildEngine } from '../support/child-engine.js'
import { sleep } from '../support/ports.js'
import { useWorkerWorld } from '../support/reliability.js'
import { DATABASE_URL, servicesMissing } from '../support/services.js'

const IN_FLIGHT = 100
const GRACE_MS = 1500

describe.skipIf(servicesMissing())('graceful shutdown with 100 steps in flight', () => {
  const world = useWorkerWorld()
  let handover: number | undefined

  it('stops claiming, aborts handlers after the grace period, hands steps over and exits by itself', async () => {
    const { redis, h, children } = world
    await h.workflow([{ type: 'action', name: 'hang_1' }, { type: 'action', name: 'work_1' }])
    const base = { databaseUrl: DATABASE_URL, redisUrl: redis.url, tablePrefix: h.tablePrefix, queuePrefix: h.queuePrefix, reconcileIntervalMs: 500, actions: undefined }
    const stopping = await startChildEngine({ ...base, concurrency: IN_FLIGHT, shutdownGraceMs: GRACE_MS }, { actions: ['hang_1', 'work_1'] })
    children.push(stopping)
    await h.emitMany(IN_FLIGHT)
    const executions = h.table('executions')
    for (;;) {
      const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM ${executions} WHERE outcome = 'started'`)
      if (rows[0].n >= IN_FLIGHT) break
      await sleep(50)
    }

    stopping.stop()
    const { at: stopAt } = (await stopping.waitFor('stopping')) as { at: number }
    // The successor starts while the first engine is still in its grace period; signals emitted
    // now must all go to it.
    const successor = await startChildEngine({ ...base, concurrency: 50, hang: false }, { actions: ['hang_1', 'work_1'] })
    children.push(successor)
    const late = await h.emitMany(20)
    await stopping.waitFor('stopped', 15_000)
    const stoppedAt = Date.now()
    const exitCode = await Promise.race([stopping.exited, sleep(10_000).then(() => 'still running')])
    expect(exitCode).toBe(0)

    const { rows: aborted } = await h.pool.query(
      `SELECT count(*)::int AS n, min(extract(epoch FROM at) * 1000)::float8 AS first FROM ${executions} WHERE outcome = 'aborted' AND pid = $1`,
      [stopping.pid],
    )
    expect(aborted[0].n).toBe(IN_FLIGHT)
    expect(aborted[0].first).toBeGreaterThanOrEqual(stopAt + GRACE_MS - 100)
    const { rows: claimedLate } = await h.pool.query(
      `SELECT count(*)::int AS n FROM ${executions} e JOIN ${h.table('workflow_runs')} r ON r.id = e.run_id WHERE e.pid = $1 AND r.id = ANY($2::text[])`,
      [stopping.pid, late],
    )
    expect(claimedLate[0].n).toBe(0)
    const { rows: afterStop } = await h.pool.query(`SELECT count(*)::int AS n FROM ${executions} WHERE pid = $1 AND outcome = 'started' AND at > to_timestamp($2 / 1000.0)`, [
      stopping.pid,
      stopAt,
    ])
    expect(afterStop[0].n).toBe(0)

    await h.waitQuiet(5_000)
    handover = Date.now() - stoppedAt
    expect(handover).toBeLessThan(5_000)
    console.info(`[shutdown] ${IN_FLIGHT} handlers aborted after ${Math.round(aborted[0].first - stopAt)} ms (grace ${GRACE_MS}); runs settled ${handover} ms after stop() returned: ${JSON.stringify(await h.statusCounts())}`)
  })

  it('every handed-over run completes on the successor', async () => {
    const { h } = world
    expect(handover).toBeDefined()
    expect(await h.statusCounts()).toEqual({ completed: IN_FLIGHT + 20 })
  })
})
