import type { WorkflowStep } from '../types.js'

/**
 * A step's position in a definition: `[2]` is the third top-level step, `[2, 1, 0]` the first step
 * of the second branch of that (parallel) step. Stored with each step row so the runtime can find
 * the step's definition and its successor in the run's snapshot.
 */
export type StepPath = readonly number[]

export function stepAt(steps: readonly WorkflowStep[], path: StepPath): WorkflowStep {
  const list = listAt(steps, path)
  const step = list[path[path.length - 1]!]
  if (!step) throw new Error(`no step at position [${path.join(', ')}] of the run's definition snapshot`)
  return step
}

/** The list of steps that contains the step at `path` (top level, or one branch). */
export function listAt(steps: readonly WorkflowStep[], path: StepPath): readonly WorkflowStep[] {
  let list = steps
  for (let i = 0; i < path.length - 1; i += 2) {
    const parallel = list[path[i]!]
    const branch = parallel?.branches?.[path[i + 1]!]
    if (!branch) throw new Error(`no branch at position [${path.slice(0, i + 2).join(', ')}] of the run's definition snapshot`)
    list = branch
  }
  return list
}

/** The step after `path` in the same list, or null at the end of the list. */
export function nextPath(steps: readonly WorkflowStep[], path: StepPath): number[] | null {
  const list = listAt(steps, path)
  const index = path[path.length - 1]! + 1
  return index < list.length ? [...path.slice(0, -1), index] : null
}

/** The path of the parallel step that owns the branch `path` is in, or null for a top-level step. */
export function parentPath(path: StepPath): number[] | null {
  return path.length > 1 ? path.slice(0, -2) : null
}

export function isTopLevel(path: StepPath): boolean {
  return path.length === 1
}
