import type { FlowControl, SkippedStartInfo, WorkflowRun } from '../index.js'
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

/** What holds a pending run back, in words, as `pulse run` and `pulse runs` show it. */
export function describeHold(heldBy: NonNullable<WorkflowRun['heldBy']>): string {
  return heldBy === 'concurrency' ? 'waits for a concurrency slot' : `held by its ${heldBy}`
}

const SKIP_REASONS: Record<SkippedStartInfo['reason'], string> = {
  rate_limited: 'over its rate limit',
  concurrency_skip: 'no free concurrency slot (mode skip)',
  debounced: 'debounced into',
}

/** Why a signal started no run of a workflow: `no run of orders: debounced into run_…`. */
export function describeSkip(skip: SkippedStartInfo, bold: (text: string) => string): string {
  return `no run of ${skip.workflowKey ?? skip.definitionId}: ${SKIP_REASONS[skip.reason]}${skip.runId ? ` ${bold(skip.runId)}` : ''}`
}
