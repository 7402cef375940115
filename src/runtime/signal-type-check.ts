import type { ValidationIssue } from '../errors.js'
import type { WorkflowSpec, WorkflowStep } from '../types.js'
import type { Registry } from './registry.js'

/**
 * Wait steps and cancelOn entries of a validated spec that name a signal type this process has
 * not registered: the rule emit() applies to the types it takes, applied where a definition is
 * stored, so that a typo in a type fails there instead of as a wait that never ends. The caller
 * skips it when the engine allows unregistered signal types.
 */
export function unregisteredSignalTypes(registry: Registry, spec: Pick<WorkflowSpec, 'steps' | 'cancelOn'>): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const walk = (steps: readonly WorkflowStep[], path: (string | number)[]) => {
    steps.forEach((step, index) => {
      step.signalTypes?.forEach((type, i) => {
        if (!registry.triggers.has(type)) {
          issues.push({ path: [...path, index, 'signalTypes', i], message: `wait step "${step.name}" waits for signal type "${type}", ${notRegistered(type)}` })
        }
      })
      step.branches?.forEach((branch, b) => walk(branch, [...path, index, 'branches', b]))
    })
  }
  walk(spec.steps, ['steps'])
  spec.cancelOn?.forEach((entry, i) => {
    if (!registry.triggers.has(entry.signalType)) {
      issues.push({ path: ['cancelOn', i, 'signalType'], message: `cancelOn names signal type "${entry.signalType}", ${notRegistered(entry.signalType)}` })
    }
  })
  return issues
}

function notRegistered(type: string): string {
  return `which is not registered; register it with engine.registerTrigger("${type}", { source }) or engine.register(workflow), or create the engine with allowUnregisteredTriggers: true`
}
