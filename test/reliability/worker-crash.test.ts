import { describe, expect, it } from 'vitest'
import { startChildEngine } from '../support/child-engine.js'
import { sized, sleep } from '../support/ports.js'
import { useWorkerWorld } from '../support/reliability.js'
import { DATABASE_URL, servicesMissing } from '../support/services.js'

const RUNS = sized(500, 2000)
const STEPS = 5
/** The engine's default: a killed worker's steps are taken over within this much of its last beat. */
const WORKER_TIMEOUT_MS = 5000
/** The product bound plus room for a busy two-core machine (the queue delivering, the survivor's beat). */
const TAKEOVER_BOUND_MS = WORKER_TIMEOUT_MS + 5000

describe.skipIf(servicesMissing())('a worker killed with SIGKILL mid-load', () => {
  const world = useWorkerWorld()

  it(`finishes all ${RUNS} runs of ${STEPS} steps on the surviving process, every step recorded once, the killed one's steps re-run within ${TAKEOVER_BOUND_MS} ms`, async () => {
    const { redis, h, children } = world
    await h.workflow(Array.from({ length: STEPS }, (_, i) => ({ type: 'action' as const, name: `work_${i + 1}` })))
    // The default lease (30 s) and workerTimeoutMs (5 s): a re-run within the bound can only come
    // from the survivor noticing that the killed worker stopped beating.
    const config = { databaseUrl: DATABASE_URL, redisUrl: redis.url, tablePrefix: h.tablePrefix, queuePrefix: h.queuePrefix, concurrency: 20, stepMs: 20, leaseMs: 30_000, reconcileIntervalMs: 500 }
    // One after the other: each creates the tables it records executions in.
    const first = await startChildEngine(config)
    children.push(first)
    const second = await startChildEngine(config)
    children.push(second)
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
    // By the database's clock, as are the re-claims below (a step's started_at).
    const { rows: killed } = await h.pool.query<{ id: string; killed_at: Date; last_beat_ms: number }>(
      `SELECT id, now() AS killed_at, extract(epoch FROM (now() - seen_at)) * 1000 AS last_beat_ms FROM ${h.table('workers')} WHERE pid = $1`,
      [first.pid],
    )
    expect(killed).toHaveLength(1)
    const { id: deadId, killed_at: killedAt } = killed[0]!
    const { rows: flying } = await h.pool.query<{ id: string }>(`SELECT id FROM ${steps} WHERE status = 'running' AND claimed_by = $1`, [deadId])
    const inFlight = flying.length
    expect(inFlight).toBeGreaterThan(0)
    const { rows: doneAtKill } = await h.pool.query(`SELECT count(*)::int AS n FROM ${h.table('workflow_runs')} WHERE status = 'completed'`)

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

    // Takeover: every step the killed worker held was claimed again by the survivor, the first
    // of them within the bound (by the database's clock, from the kill to the re-claim).
    const { rows: retaken } = await h.pool.query<{ after_ms: number }>(
      `SELECT extract(epoch FROM (started_at - $2::timestamptz)) * 1000 AS after_ms FROM ${steps} WHERE id = ANY($1::text[]) ORDER BY started_at`,
      [flying.map((f) => f.id), killedAt],
    )
    expect(retaken).toHaveLength(inFlight)
    const firstRerunMs = Math.round(Number(retaken[0]!.after_ms))
    const lastRerunMs = Math.round(Number(retaken[retaken.length - 1]!.after_ms))
    expect(firstRerunMs).toBeGreaterThan(0)
    expect(firstRerunMs).toBeLessThan(TAKEOVER_BOUND_MS)
    console.info(
      `[worker-crash] ${RUNS} runs x ${STEPS} steps in ${elapsed} ms; killed with ${inFlight} steps in flight (last beat ${Math.round(Number(killed[0]!.last_beat_ms))} ms before the kill was seen) and ${doneAtKill[0].n} runs done; ` +
        `first re-run ${firstRerunMs} ms after the kill, last ${lastRerunMs} ms; ${extra} extra executions; ${missingHooks} hooks lost at the kill`,
    )
  })
})
