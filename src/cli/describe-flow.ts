import type { FlowControl } from '../index.js'
import { formatDuration } from './format.js'

const per = (key: string | undefined) => (key ? ` per ${key}` : ' per tenant')

/**
 * A workflow's flow control in words, as `pulse run` shows it:
 * `concurrency 2 per payload.accountId (queue); throttle 10 per 1m per tenant; priority 7`.
 */
export function describeFlow(flow: FlowControl): string {
  const parts: string[] = []
  if (flow.concurrency) parts.push(`concurrency ${flow.concurrency.limit}${per(flow.concurrency.key)} (${flow.concurrency.mode ?? 'queue'})`)
  if (flow.throttle) parts.push(`throttle ${flow.throttle.limit} per ${formatDuration(flow.throttle.periodMs)}${per(flow.throttle.key)}`)
  if (flow.rateLimit) parts.push(`rate limit ${flow.rateLimit.limit} per ${formatDuration(flow.rateLimit.periodMs)}${per(flow.rateLimit.key)}`)
  if (flow.debounce) {
    const max = flow.debounce.maxWaitMs === undefined ? '' : `, at most ${formatDuration(flow.debounce.maxWaitMs)}`
    parts.push(`debounce ${formatDuration(flow.debounce.waitMs)}${max}${per(flow.debounce.key)}`)
  }
  if (flow.priority !== undefined) parts.push(`priority ${flow.priority}`)
  return parts.join('; ')
}
