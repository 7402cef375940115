import type { Engine, WorkflowRun } from '../../src/index.js'
import { waitForRun } from '../support/engine.js'

/** What the hostile signal's payload holds: each must reach the page as text, never as markup. */
export const HOSTILE = {
  script: '<script>alert("pulse")</script>',
  attribute: '"><img src=x onerror=alert(1)>',
  url: 'javascript:alert(1)',
}

export interface Seeded {
  /** The first failed run of each tenant (orderId 1 in acme, 42 in globex). */
  failed: { acme: WorkflowRun; globex: WorkflowRun }
  completed: WorkflowRun
  hostile: WorkflowRun
  /** Lets failing charges succeed from now on (for retries). */
  heal(): void
  workflowIds: { acme: string; globex: string }
  signals: { acme: string; globex: string }
}

/**
 * Two tenants, each with an `orders` workflow (charge, a short delay, two parallel shipments)
 * and a cron workflow; acme has one completed run, one failed run and one run of a signal whose
 * payload is hostile markup; globex has a failed run for order 42.
 */
export async function seedDashboard(engine: Engine): Promise<Seeded> {
  let healthy = false
  engine.registerTrigger('order.placed', { source: 'shop' })
  engine.registerTrigger('report.due', { source: 'cron' })
  engine.registerAction('charge', (ctx) => {
    const payload = ctx.trigger.payload as { orderId?: number; fail?: boolean }
    if (payload.fail && !healthy) throw new Error(`card declined for order ${payload.orderId} ${HOSTILE.script}`)
    ctx.log('charged', { orderId: payload.orderId ?? null })
    return { success: true, data: { charged: payload.orderId ?? null } }
  })
  engine.registerAction('ship_a', () => ({ success: true, data: { carrier: 'a' } }))
  engine.registerAction('ship_b', () => ({ success: true, data: { carrier: 'b' } }))
  engine.registerAction('report', () => undefined)
  const ids: Record<string, string> = {}
  for (const tenantId of ['acme', 'globex']) {
    const def = await engine.createWorkflow({
      tenantId,
      key: 'orders',
      name: 'Orders',
      triggerType: 'order.placed',
      steps: [
        { type: 'action', name: 'charge', retryPolicy: { maxAttempts: 2, backoffMs: 100 } },
        { type: 'delay', name: 'settle', delayMs: 30 },
        { type: 'parallel', name: 'fulfil', branches: [[{ type: 'action', name: 'ship_a' }], [{ type: 'action', name: 'ship_b' }]] },
      ],
      config: {},
      isEnabled: true,
    })
    ids[tenantId] = def.id
    await engine.createWorkflow({ tenantId, key: 'nightly-report', name: 'Nightly report', triggerType: 'report.due', cronExpression: '0 2 * * *', steps: [{ type: 'action', name: 'report' }], config: {}, isEnabled: true })
  }
  const emit = async (tenantId: string, payload: Record<string, unknown>) => {
    const result = await engine.emit({ tenantId, type: 'order.placed', payload })
    return { signal: result.id, run: await waitForRun(engine, result.runs[0]!.runId) }
  }
  const ok = await emit('acme', { orderId: 1 })
  const acmeFailed = await emit('acme', { orderId: 2, fail: true })
  const hostile = await emit('acme', { orderId: 3, note: HOSTILE.script, html: HOSTILE.attribute, link: HOSTILE.url })
  const globexFailed = await emit('globex', { orderId: 42, fail: true })
  return {
    failed: { acme: acmeFailed.run, globex: globexFailed.run },
    completed: ok.run,
    hostile: hostile.run,
    heal: () => void (healthy = true),
    workflowIds: { acme: ids.acme!, globex: ids.globex! },
    signals: { acme: acmeFailed.signal, globex: globexFailed.signal },
  }
}
