import type { WorkflowStep } from '../types.js'
import type { Registry } from './registry.js'

export interface MissingHandler {
  type: 'action' | 'condition'
  name: string
  /** Where it is used: a workflow key or name, and a tenant. */
  workflow: string
  tenantId?: string
}

/** Handlers that steps name but this process has not registered. */
export function missingHandlers(registry: Registry, used: MissingHandler[]): MissingHandler[] {
  return used.filter((h) => !(h.type === 'action' ? registry.actions.has(h.name) : registry.conditions.has(h.name)))
}

/** The handler names a list of steps uses, branches included. */
export function handlersIn(steps: readonly WorkflowStep[], workflow: string): MissingHandler[] {
  const found: MissingHandler[] = []
  const walk = (list: readonly WorkflowStep[]) => {
    for (const step of list) {
      if (step.type === 'action' || step.type === 'condition') found.push({ type: step.type, name: step.name, workflow })
      for (const branch of step.branches ?? []) walk(branch)
    }
  }
  walk(steps)
  return found
}

/** One missing handler, said so that the reader knows which line of code to add. */
export function missingMessage(m: MissingHandler): string {
  const method = m.type === 'action' ? 'registerAction' : 'registerCondition'
  const where = m.tenantId ? `workflow "${m.workflow}" (tenant "${m.tenantId}")` : `workflow "${m.workflow}"`
  return `step "${m.name}" of ${where} uses ${m.type} "${m.name}", which is not registered; register it with engine.${method}("${m.name}", ...) or engine.register(workflow)`
}

export function describeMissing(missing: MissingHandler[]): string {
  const lines = missing.map((m) => `  - ${missingMessage(m)}`)
  return `${missing.length} handler${missing.length === 1 ? ' is' : 's are'} missing:\n${lines.join('\n')}`
}
