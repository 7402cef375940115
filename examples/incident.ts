/**
 * The incident workflow from the DSL tour (docs/dsl.md): wait five minutes after a missed
 * heartbeat, check the service is still down, open an incident and page whoever is on call.
 */
import { z } from 'zod'
import { action, condition, trigger, workflow } from '../src/index.js'

// Stand-ins for the application's own services.
const health = { status: async (_serviceId: string | undefined): Promise<'up' | 'down'> => 'down' }
const incidents = { open: async (_input: { tenantId: string; serviceId?: string; severity: string }) => ({ id: 'inc_1' }) }
const pager = { page: async (_incidentId: string, _since: string): Promise<void> => undefined }
const mailer = { send: async (_to: string, _text: string): Promise<{ messageId: string }> => ({ messageId: 'msg_1' }) }
const slack = { post: async (_channel: string, _text: string): Promise<{ ts: string }> => ({ ts: '1700000000.0001' }) }

export const heartbeatMissed = trigger('heartbeat.missed', {
  source: 'heartbeat',
  resourceType: 'service',
  payload: z.object({ lastSeenAt: z.string().datetime() }),
})

export const stillDown = condition('service_still_down', async (ctx) => (await health.status(ctx.trigger.resourceId)) === 'down')

// Typed by the trigger: it reads lastSeenAt, so only heartbeat-shaped workflows can use it.
export const createIncident = heartbeatMissed.action(
  'create_incident',
  async (ctx) => {
    const incident = await incidents.open({
      tenantId: ctx.tenantId,
      serviceId: ctx.trigger.resourceId,
      severity: typeof ctx.config.severity === 'string' ? ctx.config.severity : 'medium',
    })
    ctx.log('incident opened', { incidentId: incident.id, lastSeenAt: ctx.trigger.payload.lastSeenAt })
    return { success: true, data: { incidentId: incident.id } }
  },
  { replaySafe: true },
)

export const sendEmail = action('send_email', async (ctx) => {
  const sent = await mailer.send('oncall@example.com', `Service ${ctx.trigger.resourceId ?? 'unknown'} is down`)
  return { success: true, data: { messageId: sent.messageId } }
})

export const logEmailSent = action('log_email_sent', (ctx) => {
  ctx.log('email sent')
})

export const sendSlack = action('send_slack', async (ctx) => {
  const posted = await slack.post('#incidents', `Service ${ctx.trigger.resourceId ?? 'unknown'} is down`)
  return { success: true, data: { ts: posted.ts } }
})

export const incident = workflow('incident-on-missed-heartbeat')
  .name('Incident on missed heartbeat')
  .description('Opens an incident when a production service misses heartbeats for five minutes.')
  .config({ severity: 'high' })
  .on(heartbeatMissed, { environment: 'production' })
  .delay('5m')
  .when(stillDown, { onFalse: 'complete' })
  .do(createIncident, { retry: { maxAttempts: 3, backoff: '5s' }, timeout: '30s' })
  .do(
    'notify_oncall',
    async (ctx) => {
      const since: string = ctx.trigger.payload.lastSeenAt
      const incidentId: string = ctx.steps.create_incident.incidentId
      const severity: string = ctx.config.severity
      ctx.log('paging on-call', { incidentId, severity })
      await pager.page(incidentId, since)
      return { success: true }
    },
    { replaySafe: false },
  )
  .parallel(
    'notify_all',
    (b) => b.do(sendEmail).do(logEmailSent),
    (b) => b.do(sendSlack),
  )
  .do('record_notifications', (ctx) => {
    ctx.log('notified', { email: ctx.steps.send_email.messageId, slack: ctx.steps.send_slack.ts })
  })

export const spec = incident.compile()
