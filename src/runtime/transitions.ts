import { ACTIVE_RUN_STATUSES, STOPPED_PREFIX, type RunRecord, type StepRecord, type StoreSession } from '../store/index.js'
import type { JsonObject } from '../types.js'
import type { Effects } from './effects.js'
import { isTopLevel, nextPath, parentPath, stepAt, type StepPath } from './step-path.js'

/** Where a step sits: its path and the parallel step that owns its branch. */
interface Position {
  path: StepPath
  parentStepRunId?: string
}

const isActive = (run: RunRecord) => ACTIVE_RUN_STATUSES.includes(run.status)

/**
 * Moves a run past the step at `from`: creates the next step row, or, at the end of a list,
 * completes the run or counts the branch as done. Called inside the transaction that finished the
 * step, with the run row locked.
 */
export async function advance(tx: StoreSession, run: RunRecord, from: Position, fx: Effects): Promise<void> {
  const next = nextPath(run.definitionSnapshot.steps, from.path)
  if (next) {
    await createStep(tx, run, { path: next, parentStepRunId: from.parentStepRunId }, fx)
    return
  }
  await finishList(tx, run, from, fx)
}

/**
 * Ends the list the step at `at` belongs to: the run completes, or one branch of a parallel step
 * is done. The branch counter is a single guarded UPDATE on the parallel step's row, so when the
 * last two branches finish at once exactly one of them sees the final count and moves on.
 */
export async function finishList(tx: StoreSession, run: RunRecord, at: Position, fx: Effects): Promise<void> {
  if (isTopLevel(at.path)) {
    if (!isActive(run)) return
    const ended = await tx.runs.transition(run.id, ACTIVE_RUN_STATUSES, 'completed')
    if (ended) fx.endedRun = ended
    return
  }
  if (!at.parentStepRunId) throw new Error(`step at [${at.path.join(', ')}] has no parallel parent recorded`)
  const parent = await tx.steps.branchDone(at.parentStepRunId)
  if (!parent || parent.status !== 'running') return
  const parallel = stepAt(run.definitionSnapshot.steps, parentPath(at.path)!)
  if (parent.branchesDone < (parallel.branches?.length ?? 0)) return
  const settled = await tx.steps.settleParallel(parent.id, 'completed')
  if (!settled) return
  fx.finishedSteps.push(settled)
  await advance(tx, run, { path: settled.path, parentStepRunId: settled.parentStepRunId }, fx)
}

/**
 * Creates the row for the step at `at`. While the run is failed (a sibling branch failed and a
 * branch that was still running finishes afterwards), the row is created as stopped, so a retry
 * of the run resumes it.
 */
export async function createStep(tx: StoreSession, run: RunRecord, at: Position, fx: Effects): Promise<void> {
  if (run.status === 'canceled' || run.status === 'completed') return
  const def = stepAt(run.definitionSnapshot.steps, at.path)
  const stopped = run.status === 'failed'
  const isDelay = def.type === 'delay'
  const [row] = await tx.steps.insert([
    {
      runId: run.id,
      tenantId: run.tenantId,
      path: [...at.path],
      stepType: def.type,
      stepName: def.name,
      parentStepRunId: at.parentStepRunId,
      status: stopped ? 'skipped' : isDelay ? 'scheduled' : 'pending',
      dueInMs: isDelay ? (run.isDryRun ? 0 : def.delayMs) : undefined,
      errorMessage: stopped ? `${STOPPED_PREFIX}the run failed before this step started` : undefined,
    },
  ])
  if (!row || stopped) return
  if (isTopLevel(at.path)) await tx.runs.setPosition(run.id, at.path[0]!, isDelay ? 'waiting' : 'running')
  fx.enqueue.push(row)
}

/** Starts every branch of a parallel step that was just claimed. */
export async function startBranches(tx: StoreSession, run: RunRecord, parallel: StepRecord, fx: Effects): Promise<void> {
  await tx.steps.releaseLease(parallel.id, parallel.fence)
  const def = stepAt(run.definitionSnapshot.steps, parallel.path)
  const branches = def.branches ?? []
  for (let b = 0; b < branches.length; b++) {
    await createStep(tx, run, { path: [...parallel.path, b, 0], parentStepRunId: parallel.id }, fx)
  }
}

/** Records skipped rows for the `count` steps after a false condition, then moves on from the last. */
export async function skipAfter(tx: StoreSession, run: RunRecord, from: Position, count: number, fx: Effects): Promise<void> {
  let at: Position = from
  for (let i = 0; i < count; i++) {
    const next = nextPath(run.definitionSnapshot.steps, at.path)
    if (!next) break
    const def = stepAt(run.definitionSnapshot.steps, next)
    const rows = await tx.steps.insert([
      {
        runId: run.id,
        tenantId: run.tenantId,
        path: next,
        stepType: def.type,
        stepName: def.name,
        parentStepRunId: at.parentStepRunId,
        status: 'skipped',
        result: { skippedBy: stepAt(run.definitionSnapshot.steps, from.path).name },
      },
    ])
    fx.finishedSteps.push(...rows)
    at = { path: next, parentStepRunId: at.parentStepRunId }
  }
  await advance(tx, run, at, fx)
}

/**
 * Fails the run because `failed` (already recorded as failed) used up its attempts: the parallel
 * steps around it fail, steps not yet started are stopped, and the run moves to failed.
 */
export async function failRun(tx: StoreSession, run: RunRecord, failed: StepRecord, reason: string, fx: Effects): Promise<void> {
  const ancestors: string[] = []
  let parentId = failed.parentStepRunId
  while (parentId) {
    ancestors.push(parentId)
    parentId = (await tx.steps.get(parentId))?.parentStepRunId
  }
  const message = `step "${failed.stepName}" failed: ${reason}`
  await tx.steps.failParallelAncestors(ancestors, message)
  const stopped = await tx.steps.skipUnfinished(run.id, `${STOPPED_PREFIX}${message}`, false)
  fx.removeJobs.push(...stopped)
  const ended = await tx.runs.transition(run.id, ACTIVE_RUN_STATUSES, 'failed', { errorMessage: message })
  if (ended) fx.endedRun = ended
}

/** Adds an action's output to the run context, where later steps read it as `ctx.steps[name]`. */
export async function recordOutput(tx: StoreSession, run: RunRecord, stepName: string, data: JsonObject | undefined): Promise<void> {
  if (data === undefined) return
  run.context = await tx.runs.mergeContext(run.id, { [stepName]: data })
}
