import type { WorkflowSpec, WorkflowStep } from './types.js'

/**
 * Every signal type a definition listens to besides its trigger: the types its wait steps wait
 * for (inside parallel branches too) and its cancelOn types, each once, in order of appearance.
 */
export function listenedSignalTypes(spec: Pick<WorkflowSpec, 'steps' | 'cancelOn'>): string[] {
  const types = new Set<string>()
  const walk = (steps: readonly WorkflowStep[]) => {
    for (const step of steps) {
      for (const type of step.signalTypes ?? []) types.add(type)
      for (const branch of step.branches ?? []) walk(branch)
    }
  }
  walk(spec.steps)
  for (const entry of spec.cancelOn ?? []) types.add(entry.signalType)
  return [...types]
}
