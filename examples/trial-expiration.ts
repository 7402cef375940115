/**
 * The trial-expiration workflow of `npm run demo` and of the README: warn the customer, wait
 * three days, and if they are still on a trial, downgrade them and tell sales, side by side.
 * Its tests are in trial-expiration.test.ts.
 */
import { z } from 'zod'
import { action, trigger, workflow } from '../src/index.js'

export const trialExpiring = trigger('trial.expiring', {
  source: 'billing',
  payload: z.object({ email: z.string().email(), plan: z.enum(['trial', 'pro']) }),
})

export const sendWarning = trialExpiring.action('send_trial_warning', (ctx) => {
  ctx.log('warning email queued', { to: ctx.trigger.payload.email })
  return { success: true, data: { template: 'trial-expiring', sentAt: ctx.now().toISOString() } }
})

export const stillOnTrial = trialExpiring.condition('still_on_trial', (ctx) => ctx.trigger.payload.plan === 'trial')

export const downgrade = action(
  'downgrade_to_free',
  (ctx) => {
    ctx.log('plan changed', { tenant: ctx.tenantId, to: 'free' })
    return { success: true, data: { plan: 'free' } }
  },
  { replaySafe: true },
)

export const trialExpiration = workflow('trial-expiration')
  .name('Trial expiration')
  .on(trialExpiring)
  .do(sendWarning)
  .delay('3d', { name: 'wait_3_days' })
  .when(stillOnTrial, { onFalse: 'complete' })
  .parallel(
    'wrap_up',
    (b) => b.do(downgrade, { retry: { maxAttempts: 3, backoff: '1m' } }),
    (b) => b.do('notify_sales', (ctx) => void ctx.log('sales notified', { email: ctx.trigger.payload.email })),
  )
