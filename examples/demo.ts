/**
 * `npm run demo`: the whole engine in one process with nothing installed. It runs embedded
 * (PGlite in memory), syncs a trial-expiration workflow for two tenants, emits signals and
 * prints each run's timeline as it completes.
 */
import { createEngine, type RunTimelineEntry, type WorkflowRun } from '../src/index.js'
import { trialExpiration, trialExpiring } from './trial-expiration.js'

const done = new Map<string, (run: WorkflowRun) => void>()
const engine = createEngine({
  dataDir: false,
  delayScale: 400 / 259_200_000, // the three days pass in 0.4 s
  onRunComplete: ({ run }) => done.get(run.id)?.(run),
})

const started = Date.now()
engine.register(trialExpiration)
await engine.migrate()
await engine.start()

for (const tenantId of ['acme', 'globex']) {
  const plan = await engine.sync({ tenantId, workflows: [trialExpiration] })
  console.log(`synced ${tenantId}: created ${plan.created.map((e) => e.key).join(', ') || '-'}`)
}

const signals = [
  { tenantId: 'acme', payload: { email: 'ops@acme.test', plan: 'trial' as const } },
  { tenantId: 'globex', payload: { email: 'it@globex.test', plan: 'pro' as const } },
]
const finished: Promise<WorkflowRun>[] = []
for (const signal of signals) {
  const envelope = await engine.emit(trialExpiring, signal)
  for (const run of await engine.getRunsByTrigger(envelope.id)) {
    finished.push(new Promise((resolve) => done.set(run.id, resolve)))
  }
}

for (const run of await Promise.all(finished)) {
  console.log(`\nrun ${run.id} (${run.tenantId}) ${run.status}`)
  for (const entry of await engine.getRunTimeline(run.id)) console.log(`  ${describe(entry, run)}`)
}
console.log(`\nall runs finished in ${Date.now() - started} ms`)
await engine.stop()

function describe(entry: RunTimelineEntry, run: WorkflowRun): string {
  const at = `+${String(entry.timestamp.getTime() - run.createdAt.getTime()).padStart(4)} ms`
  const step = entry.stepName ? ` ${entry.stepName}` : ''
  const detail = entry.type === 'log' ? ` ${String(entry.detail?.message)}` : ''
  return `${at}  ${entry.type}${step}${detail}`
}
