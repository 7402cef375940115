import type { ContinueRequest, NewStep } from './steps.js'
import type { Effects, Plan } from './plan.js'
import type { RunRecord, StepRecord } from './rows.js'
import type { StoreSession } from './store.js'

/**
 * The general way to execute a plan: statement by statement inside the caller's transaction, with
 * the run row locked (the plan must have been made for the run as locked). Whatever the plan's
 * step change does not apply to (the fence moved, the parallel step is no longer running) ends
 * the plan there. What must happen after COMMIT is collected in `fx`.
 */
export async function applyPlan(tx: StoreSession, run: RunRecord, step: StepRecord, plan: Plan, fx: Effects): Promise<void> {
  const subject = await applyStepChange(tx, run, step, plan, fx)
  if (!subject) return
  if (plan.log) await tx.logs.insert({ runId: run.id, stepRunId: step.id, tenantId: run.tenantId, ...plan.log })
  if (plan.output) run.context = await tx.runs.mergeContext(run.id, { [plan.output.name]: plan.output.data })
  if (plan.skip.length > 0) {
    const skipped = await tx.steps.insert(
      plan.skip.map((s) => ({ ...s, runId: run.id, tenantId: run.tenantId, parentStepRunId: subject.parentStepRunId, status: 'skipped' as const })),
    )
    fx.finishedSteps.push(...skipped.sort((a, b) => a.stepIndex - b.stepIndex))
  }
  if (plan.create.length > 0) await createSteps(tx, run, subject, plan, fx)
  if (plan.branchDone) {
    if (!subject.parentStepRunId) throw new Error(`step at [${subject.path.join(', ')}] has no parallel parent recorded`)
    const parent = await tx.steps.branchDone(subject.parentStepRunId)
    if (!parent || parent.status !== 'running' || parent.branchesDone < plan.branchDone.branches) return
    await applyPlan(tx, run, parent, plan.branchDone.then, fx)
  }
  if (plan.fail) {
    const ancestors: string[] = []
    let parentId = subject.parentStepRunId
    for (let i = 0; parentId && i < plan.fail.ancestors; i++) {
      ancestors.push(parentId)
      if (i + 1 < plan.fail.ancestors) parentId = (await tx.steps.get(parentId))?.parentStepRunId
    }
    await tx.steps.failParallelAncestors(ancestors, plan.fail.message)
    fx.removeJobs.push(...(await tx.steps.skipUnfinished(run.id, plan.fail.message, 'run-failure')))
    await tx.waits.closeForRun(run.id)
  }
  if (plan.run) {
    const details = plan.run.errorMessage !== undefined ? { errorMessage: plan.run.errorMessage } : {}
    const ended = await tx.runs.transition(run.id, plan.run.from, plan.run.to, details)
    if (ended) fx.endedRun = ended
  }
}

/** Applies the plan's change to its own step; returns the step's row afterwards, or null when it did not apply. */
async function applyStepChange(tx: StoreSession, run: RunRecord, step: StepRecord, plan: Plan, fx: Effects): Promise<StepRecord | null> {
  const change = plan.step
  switch (change.kind) {
    case 'none':
      return null
    case 'finish': {
      const done = await tx.steps.finish(step.id, step.fence, change)
      if (done) fx.finishedSteps.push(done)
      return done
    }
    case 'retry': {
      const retry = await tx.steps.scheduleRetry(step.id, step.fence, change.backoffMs, change.errorMessage)
      if (retry) fx.enqueue.push(retry)
      return retry
    }
    case 'wait': {
      const wait = await tx.waits.register(step, run, change.wait)
      const scheduled = await tx.steps.scheduleWait(step.id, step.fence, wait.status === 'open' ? wait.timeoutAt : null)
      if (scheduled) fx.enqueue.push(scheduled)
      return scheduled
    }
    case 'release':
      await tx.steps.releaseLease(step.id, step.fence)
      return step
    case 'settle': {
      const settled = await tx.steps.settleParallel(step.id, change.status)
      if (settled) fx.finishedSteps.push(settled)
      return settled
    }
  }
}

/** Creates the plan's step rows in one statement; a row that already exists is left alone. */
async function createSteps(tx: StoreSession, run: RunRecord, subject: StepRecord, plan: Plan, fx: Effects): Promise<void> {
  const rows: NewStep[] = plan.create.map((p) => {
    if (p.status === 'running') throw new Error('a step claimed by its creator is created by the fast path only')
    return {
      runId: run.id,
      tenantId: run.tenantId,
      path: p.path,
      stepType: p.stepType,
      stepName: p.stepName,
      parentStepRunId: p.parent === 'child' ? subject.id : subject.parentStepRunId,
      status: p.status,
      ...(p.dueInMs !== undefined ? { dueInMs: p.dueInMs } : {}),
      ...(p.errorMessage !== undefined ? { errorMessage: p.errorMessage } : {}),
    }
  })
  const created = await tx.steps.insert(rows)
  const byPath = new Map(created.map((row) => [row.path.join('.'), row]))
  for (const p of plan.create) {
    const row = byPath.get(p.path.join('.'))
    if (!row || p.status === 'skipped') continue
    if (plan.position && p.path.length === 1) await tx.runs.setPosition(run.id, plan.position.stepIndex, plan.position.status, plan.position.from)
    fx.enqueue.push(row)
  }
}

/**
 * The plan as the fast path's request (see StepStore.finishAndContinueMany), for a plan that
 * `isFastPlan` accepts.
 */
export function continueRequest(plan: Plan, step: StepRecord, run: RunRecord, leaseMs: number): ContinueRequest {
  const next = plan.create[0]
  return {
    step,
    run,
    ...(plan.step.kind === 'finish' && plan.step.result !== undefined ? { result: plan.step.result } : {}),
    ...(plan.output ? { output: plan.output } : {}),
    next: next
      ? {
          runId: run.id,
          tenantId: run.tenantId,
          path: next.path,
          stepType: next.stepType as 'action' | 'condition',
          stepName: next.stepName,
          parentStepRunId: step.parentStepRunId,
          status: 'pending',
        }
      : undefined,
    completeRun: plan.run?.to === 'completed',
    leaseMs,
  }
}
