import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkProject, writeConsumerProject, type CheckFigures } from '../../bench/types/consumer-project.js'

/**
 * Budgets in type instantiations, which (unlike times) are the same on a busy machine. Set from
 * measurement (README, Types in the editor: 8,064 for one workflow, 4,328 more for each further
 * one, measured up to 200) with about 3% room, so a change that makes the DSL's types costlier
 * shows here; the target is 3,000 per workflow, below the 2,745 of a builder with no checks plus
 * what the checks cost (README).
 */
const ONE_WORKFLOW_BUDGET = 8_300
const PER_WORKFLOW_BUDGET = 4_450
/** 20 workflows stand for 200 here: the cost per workflow is the same (README), and 20 check in seconds. */
const MANY = 20

/**
 * Type-checks generated consumer projects (bench/types/consumer-project.ts) against the built
 * dist/index.d.ts, as a user's editor would; needs `npm run build` first.
 */
describe('the types a consumer project checks', () => {
  const dirs: string[] = []
  const check = async (workflows: number): Promise<CheckFigures> => {
    const dir = await mkdtemp(join(tmpdir(), `pulse-types-${workflows}-`))
    dirs.push(dir)
    await writeConsumerProject(dir, workflows)
    return checkProject(dir)
  }
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  })

  it(`stays within ${ONE_WORKFLOW_BUDGET} instantiations for one workflow and ${PER_WORKFLOW_BUDGET} for each further one, checking arrays of workflows without comparing them pairwise`, async () => {
    const one = await check(1)
    const many = await check(MANY)
    expect(one.errors).toBe('')
    expect(many.errors).toBe('')
    const perWorkflow = Math.round((many.instantiations - one.instantiations) / (MANY - 1))
    console.log(`types: 1 workflow ${one.instantiations} instantiations; ${MANY}: ${many.instantiations} (${perWorkflow} per workflow)`)
    expect(one.instantiations).toBeLessThanOrEqual(ONE_WORKFLOW_BUDGET)
    expect(perWorkflow).toBeLessThanOrEqual(PER_WORKFLOW_BUDGET)
    // sync({ workflows: [...] }) and defineConfig once compared every pair of workflow types:
    // the strict-subtype cache then held hundreds of thousands of entries for 200 workflows.
    expect(many.strictSubtypeCache).toBeLessThanOrEqual(MANY)
  }, 120_000)
})
