import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStore, type ContinueRequest, type PoolLike, type RunRecord, type StepRecord, type Store } from '../../src/store/index.js'
import { STATUS_MOVES } from '../../src/runtime/run-state.js'
import { startTestEngine, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

/**
 * The hot statements run as named prepared statements. Postgres plans such a statement for the
 * actual values on its first calls, then switches to one generic plan if that does not look
 * dearer; otherwise it plans again on every call, which for these statements costs more than
 * running them. And the generic plan is often made while the tables are still small, so it must
 * reach rows by key: a sequential scan planned then would read the whole table on every step
 * until the next ANALYZE.
 */
describe.skipIf(servicesMissing())('the prepared statements of the hot path', () => {
  let t: TestEngine
  let client: pg.PoolClient

  beforeAll(async () => {
    t = await startTestEngine({}, { start: false })
    client = await t.pool.connect()
  })
  afterAll(async () => {
    client.release()
    await t.close()
  })

  type Sent = { name: string; values: unknown[] }

  /** A store whose statements all go to this test's client; `sent` collects the prepared ones. */
  function storeOnClient(): { store: Store; sent: Sent[] } {
    const sent: Sent[] = []
    const q: PoolLike = {
      query: (async (statement: string | { name: string; text: string }, values: unknown[] = []) => {
        if (typeof statement === 'object') sent.push({ name: statement.name, values })
        return client.query(statement as string, values)
      }) as PoolLike['query'],
      connect: () => t.pool.connect(),
    }
    return { store: createStore(q, t.tablePrefix, 'public', { statusMoves: STATUS_MOVES, preparedStatements: true }), sent }
  }

  const literal = (v: unknown): string =>
    Array.isArray(v) ? `ARRAY[${v.map(literal).join(', ')}]` : typeof v === 'number' ? String(v) : client.escapeLiteral(String(v))

  async function genericPlan({ name, values }: Sent): Promise<string> {
    await client.query('SET plan_cache_mode = force_generic_plan')
    try {
      const { rows } = await client.query(`EXPLAIN EXECUTE ${name}(${values.map(literal).join(', ')})`)
      return rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n')
    } finally {
      await client.query('RESET plan_cache_mode')
    }
  }

  /** How often this client's copy of a prepared statement ran with which plan. */
  async function plansChosen(name: string): Promise<{ generic: number; custom: number }> {
    const { rows } = await client.query('SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1', [name])
    return { generic: Number(rows[0].generic_plans), custom: Number(rows[0].custom_plans) }
  }

  const step = { id: 'stp_plan', runId: 'run_plan', tenantId: 'w', path: [0], stepIndex: 0, stepType: 'action', stepName: 'a', status: 'running', attempt: 1, fence: 1 } as unknown as StepRecord
  const run = { id: 'run_plan', tenantId: 'w', status: 'running', context: {}, currentStepIndex: 0 } as unknown as RunRecord
  const request: ContinueRequest = {
    step,
    run,
    result: { ok: true },
    output: { name: 'a', data: { ok: true } },
    next: { runId: run.id, tenantId: 'w', path: [1], stepType: 'action', stepName: 'b', status: 'pending' },
    completeRun: false,
    leaseMs: 1000,
  }
  const statements: Record<string, (store: Store) => Promise<unknown>> = {
    'claiming a step': (store) => store.steps.claimMany([{ stepId: step.id, runId: run.id }], 1000),
    'finishing a step and claiming the next': (store) => store.steps.finishAndContinueMany([request]),
  }

  for (const [what, call] of Object.entries(statements)) {
    it(`${what}: the generic plan looks rows up by key, even on empty tables`, async () => {
      const { store, sent } = storeOnClient()
      await call(store)
      const plan = await genericPlan(sent[0]!)
      expect(plan).toMatch(/Index Scan using \w+workflow_runs_pkey/)
      expect(plan).not.toMatch(/Seq Scan on \w+(workflow_runs|workflow_step_runs)\b/)
    })

    it(`${what}: one step at a time, Postgres settles on the generic plan instead of planning every call`, async () => {
      const { store, sent } = storeOnClient()
      await call(store)
      const before = await plansChosen(sent[0]!.name)
      for (let i = 0; i < 10; i++) await call(store)
      const after = await plansChosen(sent[0]!.name)
      // At most five calls with plans for their values (fewer if an earlier test got there), then the generic plan.
      expect(after.custom).toBeLessThanOrEqual(5)
      expect(after.generic - before.generic).toBeGreaterThanOrEqual(5)
    })
  }
})
