import { z } from 'zod'
import { createEngine, trigger, workflow } from 'pulse-engine'

// Stand-ins for your application's own services.
const health = async (_serviceId: string | undefined): Promise<'up' | 'down'> => 'down'
const incidents = { open: async (_tenantId: string, _since: string) => 'inc_1' }
const pager = { page: async (incidentId: string) => console.log(`paging on-call about ${incidentId}`) }

// The signal, with the payload every handler below sees, typed.
const heartbeatMissed = trigger('heartbeat.missed', {
  source: 'heartbeat',
  resourceType: 'service',
  payload: z.object({ lastSeenAt: z.string().datetime() }),
})

const incident = workflow('incident-on-missed-heartbeat')
  .on(heartbeatMissed, { environment: 'production' })
  .delay('5m')
  .when('service_still_down', async (ctx) => (await health(ctx.trigger.resourceId)) === 'down')
  .do('create_incident', async (ctx) => {
    const id = await incidents.open(ctx.tenantId, ctx.trigger.payload.lastSeenAt)
    return { success: true, data: { incidentId: id } }
  }, { retry: { maxAttempts: 3, backoff: '5s' }, timeout: '30s', replaySafe: true })
  .do('page_oncall', async (ctx) => {
    await pager.page(ctx.steps.create_incident.incidentId) // typed: string
  })

let finished: () => void
const done = new Promise<void>((resolve) => (finished = resolve))
const engine = createEngine({
  dataDir: false, // embedded, in memory; createEngine({ db: pool, redis }) in production
  delayScale: 0.001, // for this demo only: the 5 minutes pass in 0.3 s
  onRunComplete: ({ run, status }) => {
    console.log(`run ${status}:`, run.context) // run completed: { create_incident: { incidentId: 'inc_1' }, page_oncall: {} }
    finished()
  },
})
engine.register(incident) // its trigger and handlers, in this process
await engine.migrate()
await engine.start()

await engine.sync({ tenantId: 'workspace_1', workflows: [incident] })
await engine.emit(heartbeatMissed, {
  tenantId: 'workspace_1',
  resourceId: 'api-server',
  environment: 'production',
  payload: { lastSeenAt: new Date().toISOString() },
})
await done
await engine.stop() // finishes what is running and closes the database
