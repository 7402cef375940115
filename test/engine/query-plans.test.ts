import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStore, type ContinueRequest, type PoolLike, type RunRecord, type StepRecord } from '../../src/store/index.js'
import { startTestEngine, type TestEngine } from '../support/engine.js'
import { MODE, servicesMissing } from '../support/services.js'

/**
 * The hot statements run as named prepared statements, so Postgres plans them once, generically,
 * often while the tables are still small. These tests ask for that generic plan on fresh, empty
 * tables and check that it still reaches rows by key: a sequential scan planned now would read
 * the whole table on every step until the next ANALYZE.
 */
describe.skipIf(MODE === 'embedded' || servicesMissing())('generic plans of the prepared statements', () => {
  let t: TestEngine
  let client: pg.PoolClient

  beforeAll(async () => {
    t = await startTestEngine({}, { start: false })
    client = await t.pool.connect()
    await client.query('SET plan_cache_mode = force_generic_plan')
  })
  afterAll(async () => {
    await client.query('RESET plan_cache_mode')
    client.release()
    await t.close()
  })

  /** Runs what the store sends through `fn` on this client, and returns the generic plan of its statements. */
  async function plansOf(fn: (store: ReturnType<typeof createStore>) => Promise<unknown>): Promise<string[]> {
    const plans: string[] = []
    const literal = (v: unknown): string =>
      Array.isArray(v) ? `ARRAY[${v.map(literal).join(', ')}]` : typeof v === 'number' ? String(v) : client.escapeLiteral(String(v))
    const explaining: PoolLike = {
      query: (async (statement: string | { name: string; text: string }, values: unknown[] = []) => {
        const result = await client.query(statement as string, values)
        if (typeof statement === 'object') {
          const { rows } = await client.query(`EXPLAIN EXECUTE ${statement.name}(${values.map(literal).join(', ')})`)
          plans.push(rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n'))
        }
        return result
      }) as PoolLike['query'],
      connect: () => t.pool.connect(),
    }
    await fn(createStore(explaining, t.tablePrefix, 'public', { preparedStatements: true }))
    return plans
  }

  const step = { id: 'stp_plan', runId: 'run_plan', tenantId: 'w', path: [0], stepIndex: 0, stepType: 'action', stepName: 'a', status: 'running', attempt: 1, fence: 1 } as unknown as StepRecord
  const run = { id: 'run_plan', tenantId: 'w', status: 'running', context: {}, currentStepIndex: 0 } as unknown as RunRecord

  it('claims steps with key lookups on runs and steps', async () => {
    const [plan] = await plansOf((store) => store.steps.claimMany([{ stepId: step.id, runId: run.id }], 1000))
    expect(plan).toMatch(/Index Scan using \w+workflow_runs_pkey/)
    expect(plan).not.toMatch(/Seq Scan on \w+(workflow_runs|workflow_step_runs)\b/)
  })

  it('finishes a step and claims the next with key lookups on runs and steps', async () => {
    const request: ContinueRequest = {
      step,
      run,
      result: { ok: true },
      output: { name: 'a', data: { ok: true } },
      next: { runId: run.id, tenantId: 'w', path: [1], stepType: 'action', stepName: 'b', status: 'pending' },
      completeRun: false,
      leaseMs: 1000,
    }
    const [plan] = await plansOf((store) => store.steps.finishAndContinueMany([request]))
    expect(plan).toMatch(/Index Scan using \w+workflow_runs_pkey/)
    expect(plan).not.toMatch(/Seq Scan on \w+(workflow_runs|workflow_step_runs)\b/)
  })
})
