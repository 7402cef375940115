/**
 * `npm run demo`: the whole engine in one process with nothing installed. It runs embedded
 * (PGlite in memory), syncs a trial-expiration workflow for two tenants, emits signals and
 * prints each run's timeline as it completes.
 */
import { z } from 'zod'
import { action, createEngine, trigger, workflow, type RunTimelineEntry, type WorkflowRun } from '../src/index.js'

const trialExpiring = trigger('trial.expiring', {
  source: 'billing',
  payload: z.object({ email: z.string().email(), plan: z.enum(['trial', 'pro']) }),
})

const sendWarning = trialExpiring.action('send_trial_warning', (ctx) => {
  ctx.log('warning email queued', { to: ctx.trigger.payload.email })
  return { success: true, data: { template: 'trial-expiring' } }
})

const stillOnTrial = trialExpiring.condition('still_on_trial', (ctx) => ctx.trigger.payload.plan === 'trial')

const downgrade = action(
  'downgrade_to_free',
  (ctx) => {
    ctx.log('plan changed', { tenant: ctx.tenantId, to: 'free' })
    return { success: true, data: { plan: 'free' } }
  },
  { replaySafe: true },
)

const trialExpiration = workflow('trial-expiration')
  .name('Trial expiration')
  .on(trialExpiring)
  .do(sendWarning)
  .delay(400, { name: 'wait_3_days' }) // three days in production; a blink here
  .when(stillOnTrial, { onFalse: 'complete' })
  .parallel(
    'wrap_up',
    (b) => b.do(downgrade),
    (b) => b.do('notify_sales', (ctx) => void ctx.log('sales notified', { email: ctx.trigger.payload.email })),
  )

const done = new Map<string, (run: WorkflowRun) => void>()
const engine = createEngine({
  dataDir: false,
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
