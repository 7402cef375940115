/**
 * `tsc --extendedDiagnostics` figures for generated consumer projects of 1, 50 and 200
 * workflows (or the counts given): check time, instantiations (in all and per added workflow),
 * memory and the strict-subtype cache, which grows with the square of the workflows when the
 * checker compares them pairwise.
 *
 *   node --import tsx bench/types/check.ts [--floor] [1 50 200]
 *
 * `--floor` checks the same projects against bench/types/floor, a builder with the same API and
 * no type checks: what any typed builder costs there, zod's own types included.
 *
 * Needs `npm run build` first: the projects import the built `dist/index.d.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkProject, FLOOR_LIBRARY, writeConsumerProject } from './consumer-project.js'

const args = process.argv.slice(2)
const floor = args.includes('--floor')
const counts = args.filter((a) => a !== '--floor').map(Number)
let previous: { workflows: number; instantiations: number } | undefined
for (const workflows of counts.length > 0 ? counts : [1, 50, 200]) {
  const dir = await mkdtemp(join(tmpdir(), `pulse-check-${workflows}-`))
  try {
    await writeConsumerProject(dir, workflows, floor ? FLOOR_LIBRARY : undefined)
    const { errors, ...figures } = await checkProject(dir)
    if (errors) throw new Error(`the generated project does not type-check:\n${errors}`)
    const perAddedWorkflow = previous ? Math.round((figures.instantiations - previous.instantiations) / (workflows - previous.workflows)) : undefined
    console.log(JSON.stringify({ workflows, ...figures, perAddedWorkflow }))
    previous = { workflows, instantiations: figures.instantiations }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
