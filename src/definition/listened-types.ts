import type { WorkflowSpec, WorkflowStep } from './types.js'

/** A signal type a definition listens to, with the match paths (sorted) it compares on. */
export interface Listener {
  signalType: string
  matchPaths: string[]
  /** A cancelOn entry rather than a wait. */
  cancels: boolean
}

/**
 * Every signal type a definition listens to besides its trigger, each with the paths it matches
 * on: its wait steps' types (inside parallel branches too) and its cancelOn entries, each pair
 * once, in order of appearance. A signal of one of these types is delivered; the paths let the
 * delivery look up, for each way waits match, the waits that have this signal's values.
 */
export function listeners(spec: Pick<WorkflowSpec, 'steps' | 'cancelOn'>): Listener[] {
  const found = new Map<string, Listener>()
  const add = (signalType: string, match: readonly string[], cancels: boolean) => {
    const matchPaths = [...new Set(match)].sort()
    found.set(JSON.stringify([signalType, matchPaths, cancels]), { signalType, matchPaths, cancels })
  }
  const walk = (steps: readonly WorkflowStep[]) => {
    for (const step of steps) {
      for (const type of step.signalTypes ?? []) add(type, step.match ?? [], false)
      for (const branch of step.branches ?? []) walk(branch)
    }
  }
  walk(spec.steps)
  for (const entry of spec.cancelOn ?? []) add(entry.signalType, entry.match, true)
  return [...found.values()]
}

/** The signal types of {@link listeners}, each once. */
export function listenedSignalTypes(spec: Pick<WorkflowSpec, 'steps' | 'cancelOn'>): string[] {
  return [...new Set(listeners(spec).map((l) => l.signalType))]
}
