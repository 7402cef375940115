import type { WorkflowSpec, WorkflowStep } from '../index.js'
import { describeCancelOn, describeWait } from './describe-wait.js'
import { formatDuration } from './format.js'

/**
 * Draws a compiled workflow as a Mermaid flowchart: the trigger (with the signals that cancel a
 * run), each step (actions as boxes, conditions as diamonds, delays as rounded boxes, waits for a
 * signal as hexagons, parallel steps fanning out to their branches and joining again), with the
 * true / false edges of conditions as `onFalse` defines them.
 *
 * @example
 * ```ts
 * console.log(workflowToMermaid(incident.compile()))
 * ```
 */
export function workflowToMermaid(spec: WorkflowSpec): string {
  // Nodes first, then edges: the text reads like the workflow, and diffs of it stay small.
  const nodes: string[] = []
  const edges: string[] = []
  const node = (id: string, shape: [string, string], label: string) => nodes.push(`  ${id}${shape[0]}"${escape(label)}"${shape[1]}`)
  const edge = (from: string, to: string, label?: string) => edges.push(`  ${from} -->${label ? `|${label}|` : ''} ${to}`)

  const triggerLabel = [
    `on ${spec.triggerType}`,
    ...(spec.environmentFilter ? [`environment: ${spec.environmentFilter}`] : []),
    ...(spec.resourceTypeFilter ? [`resource: ${spec.resourceTypeFilter}`] : []),
    ...(spec.cronExpression ? [`cron: ${spec.cronExpression}${spec.cronTimezone ? ` ${spec.cronTimezone}` : ''}`] : []),
    ...(spec.cancelOn ?? []).map(describeCancelOn),
  ]
  node('start', ['([', '])'], triggerLabel.join('<br/>'))
  edge('start', spec.steps.length > 0 ? 's0' : 'finish')

  /** Draws a list of steps; returns the id of its first node. `exit` is where the list ends. */
  const drawList = (steps: WorkflowStep[], prefix: string, exit: string): string => {
    const ids = steps.map((_, i) => `${prefix}${i}`)
    steps.forEach((step, i) => {
      const id = ids[i]!
      const next = ids[i + 1] ?? exit
      if (step.type === 'parallel') {
        const join = `${id}_join`
        node(id, ['[[', ']]'], `${step.name}<br/>parallel`)
        ;(step.branches ?? []).forEach((branch, b) => {
          const first = drawList(branch, `${id}_${b}_`, join)
          // Numbered from 0, as branchIndex is in the data and in pulse run / pulse dev.
          edge(id, first, `branch ${b}`)
        })
        node(join, ['((', '))'], 'join')
        edge(join, next)
        return
      }
      if (step.type === 'condition') {
        node(id, ['{', '}'], `${step.name}?${details(step)}`)
        edge(id, next, 'true')
        const onFalse = step.onFalse ?? 'complete'
        const skip = onFalse === 'complete' ? Infinity : onFalse === 'skip' ? 1 : onFalse
        edge(id, ids[i + 1 + skip] ?? exit, 'false')
        return
      }
      if (step.type === 'delay') node(id, ['(', ')'], `${step.name}<br/>delay ${formatDuration(step.delayMs ?? 0)}`)
      else if (step.type === 'wait_for_signal') node(id, ['{{', '}}'], `${step.name}<br/>${describeWait(step)}`)
      else node(id, ['[', ']'], `${step.name}${details(step)}`)
      edge(id, next)
    })
    return ids[0] ?? exit
  }

  drawList(spec.steps, 's', 'finish')
  node('finish', ['([', '])'], 'end')
  return ['flowchart TD', ...nodes, ...edges].join('\n')
}

function details(step: WorkflowStep): string {
  const parts: string[] = []
  if (step.retryPolicy) parts.push(`retry ${step.retryPolicy.maxAttempts}x, backoff ${formatDuration(step.retryPolicy.backoffMs)}`)
  if (step.timeoutMs) parts.push(`timeout ${formatDuration(step.timeoutMs)}`)
  return parts.length > 0 ? `<br/>${parts.join(', ')}` : ''
}

/** Mermaid labels are quoted; quotes and angle brackets inside them must be entities. */
function escape(label: string): string {
  return label
    .split('<br/>')
    .map((part) => part.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;'))
    .join('<br/>')
}
