/**
 * The README's quick start, kept compiling: `npm test` type-checks this file, so the snippet
 * there cannot drift from the API.
 */
import { z } from 'zod'
import { createEngine, trigger, workflow } from '../src/index.js'

// Stand-ins for the application's own services.
const health = async (_serviceId: string | undefined): Promise<'up' | 'down'> => 'down'
const incidents = { open: async (_tenantId: string, _since: string) => 'inc_1' }
const pager = { page: async (_incidentId: string): Promise<void> => undefined }

// The signal, with the payload every handler below sees, typed.
const heartbeatMissed = trigger('heartbeat.missed', {
  source: 'heartbeat',
  resourceType: 'service',
  payload: z.object({ lastSeenAt: z.string().datetime() }),
})

export const incident = workflow('incident-on-missed-heartbeat')
  .on(heartbeatMissed, { environment: 'production' })
  .delay('5m')
  .when('service_still_down', async (ctx) => (await health(ctx.trigger.resourceId)) === 'down')
  .do(
    'create_incident',
    async (ctx) => {
      const id = await incidents.open(ctx.tenantId, ctx.trigger.payload.lastSeenAt)
      return { success: true, data: { incidentId: id } }
    },
    { retry: { maxAttempts: 3, backoff: '5s' }, timeout: '30s', replaySafe: true },
  )
  .do('page_oncall', async (ctx) => {
    await pager.page(ctx.steps.create_incident.incidentId) // typed: string
  })

export async function main(): Promise<void> {
  const engine = createEngine({ dataDir: false }) // embedded; or createEngine({ db: pool, redis }) in production
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
  await engine.stop()
}
