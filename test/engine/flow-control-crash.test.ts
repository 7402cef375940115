import { afterEach, describe, expect, it } from 'vitest'
import { closeChildAndEngine, startChildEngineFor, type ChildEngine } from '../support/child-engine.js'
import { eventually, startTestEngine, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const KEYS = 4
const PER_KEY = 8
const LIMIT = 2

describe.skipIf(servicesMissing())('flow control under a crash: slots cannot leak or over-admit', () => {
  let t: TestEngine | undefined
  let child: ChildEngine | undefined
  afterEach(async () => {
    await closeChildAndEngine(child, t)
    child = undefined
    t = undefined
  })

  it('SIGKILL of the engine holding the slots: no key ever exceeds its limit, and every queued run completes', async () => {
    // This process emits and, once the other engine is dead, takes its runs over.
    t = await startTestEngine({ concurrency: 10, workerTimeoutMs: 1000, reconcileIntervalMs: 300, allowUnregisteredTriggers: true }, { start: false })
    const { engine, pool, tablePrefix } = t
    engine.registerAction('work_1', async () => ({ success: true }))
    await engine.createWorkflow({
      tenantId: 'acme',
      key: 'sync-account',
      name: 'sync account',
      triggerType: 'account.changed',
      steps: [{ type: 'action', name: 'work_1' }],
      config: {},
      isEnabled: true,
      flow: { concurrency: { limit: LIMIT, key: 'payload.account' } },
    })
    child = await startChildEngineFor(t, { concurrency: 20, stepMs: 1500, leaseMs: 60_000, workerTimeoutMs: 1000 }, ['work_1'])

    // Sample the slots in use per key from Postgres for the whole test.
    let most = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await pool.query(
          `SELECT coalesce(max(n), 0)::int AS most FROM (SELECT count(*) AS n FROM ${tablePrefix}workflow_runs
           WHERE concurrency_key IS NOT NULL AND NOT held AND status IN ('pending', 'running', 'waiting') GROUP BY concurrency_key) c`,
        )
        most = Math.max(most, (rows[0] as { most: number }).most)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()

    const emitted = await Promise.all(
      Array.from({ length: KEYS * PER_KEY }, (_, i) => engine.emit({ tenantId: 'acme', type: 'account.changed', source: 'test', payload: { account: `a${i % KEYS}` } })),
    )
    const runIds = emitted.map((e) => e.runs[0]!.runId)
    expect(emitted.filter((e) => e.runs[0]!.heldBy === 'concurrency')).toHaveLength(KEYS * (PER_KEY - LIMIT))

    // The child is running its slots' handlers: kill it mid-step.
    await eventually(async () => {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${tablePrefix}executions" WHERE outcome = 'started'`)
      return (rows[0] as { n: number }).n >= KEYS * LIMIT ? true : undefined
    }, 30_000, 'the child engine running a full set of slots')
    child.kill('SIGKILL')
    await child.exited

    // This engine takes over the dead engine's runs; each run that ends frees a slot for the next.
    await engine.start()
    await eventually(
      async () => {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${tablePrefix}workflow_runs WHERE id = ANY($1::text[]) AND status = 'completed'`, [runIds])
        return (rows[0] as { n: number }).n === runIds.length ? true : undefined
      },
      60_000,
      'every run completed',
    )
    sampling = false
    await sampler
    expect(most).toBe(LIMIT)
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${tablePrefix}workflow_runs WHERE held`)
    expect((rows[0] as { n: number }).n).toBe(0)
  })
})
