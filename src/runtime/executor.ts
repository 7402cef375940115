import type { StepJob, StepJobData, StepQueue } from '../queue/index.js'
import {
  applyPlan,
  continueRequest,
  isFastPlan,
  noEffects,
  type Claim,
  type ContinueRequest,
  type Effects,
  type Plan,
  type RunRecord,
  type StepRecord,
  type Store,
  type StoreSession,
} from '../store/index.js'
import type { EngineLogger, TriggerEnvelope, TriggerInput, WorkflowStatus, WorkflowStep } from '../types.js'
import { createHandlerRunner } from './handler-runner.js'
import { actionOutcome, conditionOutcome, type Outcome } from './handler-outcome.js'
import type { HookFirer } from './hooks.js'
import type { Registry } from './registry.js'
import { MAX_JSON_DEPTH, toJsonValue } from './json-limits.js'
import { planStep, type StepOutcome } from './run-state.js'
import { stepAt } from './step-path.js'
import { createBatcher } from '../store/group-commit.js'

export interface ExecutorDeps {
  store: Store
  queue: StepQueue
  registry: Registry
  hooks: HookFirer
  logger: EngineLogger
  /** How long a claim lasts without a heartbeat before another worker may take the step over. */
  leaseMs: number
  /** Runs this process may start itself at once (see localStart). */
  concurrency: number
  /** Largest step output (`data`) recorded, in bytes of JSON. */
  maxOutputBytes: number
  emit: (input: TriggerInput) => Promise<TriggerEnvelope>
}

/** Room to start an emitted run in this process; release() once the emit is done with it. */
export interface LocalStart {
  leaseMs: number
  start(claim: Claim): void
  release(): void
}

/** How many steps one job may run back to back before the chain goes through the queue again. */
const MAX_INLINE_STEPS = 100

export function jobFor(step: StepRecord): StepJob {
  const delayMs = step.status === 'scheduled' && step.scheduledFor ? Math.max(0, step.scheduledFor.getTime() - Date.now()) : 0
  return { stepRunId: step.id, runId: step.runId, tenantId: step.tenantId, fence: step.fence, delayMs }
}

/**
 * Executes step jobs: claims the step, runs it by type, and records the outcome in one
 * transaction with the run locked. Jobs and hooks follow only after that transaction commits.
 */
export function createExecutor(deps: ExecutorDeps) {
  const { store, queue, registry, hooks, logger } = deps
  const handlers = createHandlerRunner({ store, emit: deps.emit, leaseMs: deps.leaseMs })
  const runHandler = handlers.run
  // Set when stop() begins: no step is claimed in this process from then on.
  let draining = false
  const claims = createBatcher((jobs: StepJobData[]) =>
    store.steps.claimMany(
      jobs.map((j) => ({ stepId: j.stepRunId, runId: j.runId })),
      deps.leaseMs,
    ),
  )
  // Steps finishing at about the same time share one commit; two steps of one run never do.
  const transitions = createBatcher((requests: ContinueRequest[]) => store.steps.finishAndContinueMany(requests), {
    key: (request) => request.step.runId,
  })

  async function commit(runId: string, fn: (tx: StoreSession, run: RunRecord, fx: Effects) => Promise<void>): Promise<void> {
    const fx = noEffects()
    await store.transaction(async (tx) => {
      const run = await tx.runs.lock(runId)
      if (run) await fn(tx, run, fx)
    })
    await applyEffects(fx)
  }

  async function applyEffects(fx: Effects): Promise<void> {
    // The hooks' place in line is taken before the first await, right after the commit: a later
    // transition of the run (the last branch, ending it) must not report before this one.
    const report = hooks.enabled && (fx.finishedSteps.length > 0 || fx.endedRun) ? hooks.reserve(fx.endedRun?.id ?? fx.finishedSteps[0]!.runId) : undefined
    if (fx.removeJobs.length > 0) await queue.remove(fx.removeJobs.map(jobFor)).catch(() => undefined)
    // Hooks before the next jobs exist: otherwise the next step could finish, and fire its own
    // hook, before this one's, and onStepComplete would arrive out of step order.
    if (report) {
      const run = fx.endedRun ?? (await store.runs.get(fx.finishedSteps[0]!.runId).catch(() => null))
      report(run, fx.finishedSteps, fx.endedRun)
    }
    if (fx.enqueue.length > 0) {
      // The rows are committed, so a failure here only delays them until the reconciler runs.
      await queue.enqueue(fx.enqueue.map(jobFor)).catch((err: unknown) => {
        logger.warn({ err }, 'pulse-engine: could not enqueue next steps; the reconciler will pick them up')
      })
    }
  }

  async function processJob(job: StepJobData): Promise<void> {
    if (draining) throw new Error('the engine is shutting down; the job goes back to the queue')
    const claim = (await claims.submit(job)) ?? (await store.steps.whyNotClaimed(job.stepRunId))
    if ('reason' in claim) {
      if (claim.reason === 'not-due') {
        await queue.enqueue([{ ...job, fence: claim.fence, delayMs: claim.dueInMs }])
      }
      return
    }
    // A run whose next step is due now continues in this worker: the transition that finishes a
    // step also claims the next one, so the chain skips a queue round trip per step. The state
    // stays in Postgres; if this process dies, the claimed step's lease runs out and the
    // reconciler hands it to another worker.
    let next: Claim | null = claim
    for (let inline = 0; next && inline < MAX_INLINE_STEPS; inline++) next = await execute(next)
    if (next) await queue.enqueue([{ ...jobFor(next.step), delayMs: 0 }])
  }

  /** Runs one claimed step; returns the next step when this worker already claimed it. */
  async function execute(claim: Claim): Promise<Claim | null> {
    const def = stepAt(claim.run.definitionSnapshot.steps, claim.step.path)
    switch (def.type) {
      case 'delay':
        return settle(claim, { kind: 'completed', result: { delayedMs: def.delayMs ?? 0 } })
      case 'parallel':
        return settle(claim, { kind: 'started' })
      case 'condition':
        return runCondition(claim, def)
      case 'action':
        return runAction(claim, def)
    }
  }

  /**
   * Records a step's outcome. The planner decides what it does to the run; a plan of the common
   * shape (finish, then claim the next action or condition for this worker, or complete the run)
   * runs as one group-committed statement, anything else in a transaction with the run locked.
   * When the fast statement finds the claim lost or the run moved on (canceled, failed by a
   * sibling branch), the transaction plans again from the run as it is now.
   */
  async function settle(claim: Claim, outcome: StepOutcome): Promise<Claim | null> {
    const { run, step } = claim
    const plan = planFor(claim, outcome, run.status, !draining)
    if (plan.step.kind === 'none') return null
    if (isFastPlan(plan)) {
      const res = await transitions.submit(continueRequest(plan, step, run, deps.leaseMs))
      if (res.done && res.run) {
        if (hooks.enabled) hooks.finished(res.run, res.done, plan.run?.to === 'completed')
        return res.next ? { step: res.next, run: res.run, trigger: claim.trigger } : null
      }
    }
    await commit(run.id, (tx, locked, fx) => applyPlan(tx, locked, step, planFor(claim, outcome, locked.status, false), fx))
    return null
  }

  function planFor(claim: Claim, outcome: StepOutcome, runStatus: WorkflowStatus, continueHere: boolean): Plan {
    const { run, step } = claim
    return planStep({ steps: run.definitionSnapshot.steps, step, outcome, run: { status: runStatus, isDryRun: run.isDryRun }, continueHere })
  }

  async function runAction(claim: Claim, def: WorkflowStep): Promise<Claim | null> {
    const { run } = claim
    const registered = registry.actions.get(def.name)
    if (run.isDryRun) {
      // A dry run says what a real replay would do with this action, without doing it.
      const wouldRun = registered?.replaySafe === true
      return settle(claim, { kind: 'skipped', result: { reason: 'dry run: actions do not run', wouldRun } })
    }
    if (run.isReplay && registered && !registered.replaySafe) {
      return settle(claim, { kind: 'skipped', result: { reason: 'replay: the action is not replay-safe' } })
    }
    const outcome: Outcome = registered
      ? await runHandler(claim, def, async (ctx) => actionOutcome(await registered.handler(ctx)))
      : { ok: false, error: unregistered('action', def.name) }
    if (!outcome.ok) return settle(claim, outcome.abandoned ? { kind: 'abandoned' } : { kind: 'failed', error: outcome.error })
    // Outputs are stored as JSON and read back by later steps: refuse what JSON cannot hold.
    const checked = toJsonValue(outcome.data ?? {}, { maxBytes: deps.maxOutputBytes, maxDepth: MAX_JSON_DEPTH }, ['data'])
    if ('value' in checked) {
      // An action without data still gets an (empty) entry, so `ctx.steps[name]` exists for later steps.
      const data = checked.value
      return settle(claim, { kind: 'completed', ...(outcome.data === undefined ? {} : { result: data }), output: data })
    }
    const problems = checked.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    return settle(claim, { kind: 'failed', error: `the action's output cannot be stored: ${problems}` })
  }

  async function runCondition(claim: Claim, def: WorkflowStep): Promise<Claim | null> {
    const registered = registry.conditions.get(def.name)
    let value: boolean | undefined
    const outcome: Outcome = registered
      ? await runHandler(claim, def, async (ctx) => {
          const read = conditionOutcome(await registered.handler(ctx))
          if (!read.ok) return read
          value = read.value
          return { ok: true }
        })
      : { ok: false, error: unregistered('condition', def.name) }
    if (!outcome.ok) return settle(claim, outcome.abandoned ? { kind: 'abandoned' } : { kind: 'failed', error: outcome.error })
    return settle(claim, value ? { kind: 'completed', result: { value: true } } : { kind: 'condition-false' })
  }

  /** Aborts a handler running here for a run that was canceled. */
  const abortRun = (runId: string): void => handlers.abortRun(runId)

  /**
   * Shutdown: abort every handler still running and hand its step back, so another process can
   * claim it at once instead of waiting for the lease to run out.
   */
  async function releaseAll(): Promise<void> {
    const entries = handlers.running()
    if (entries.length === 0) return
    // Release first, then abort: once a step is handed back its fence has moved, so whatever
    // the aborted handler reports afterwards is ignored instead of counting as a failed attempt.
    const released = await store.steps.releaseMany(entries.map((e) => ({ stepId: e.stepId, fence: e.fence }))).catch((err: unknown) => {
      logger.warn({ err }, 'pulse-engine: could not hand steps back at shutdown; their leases will expire instead')
      return []
    })
    handlers.abortAll('shutdown', 'the engine is shutting down')
    if (released.length > 0) await queue.enqueue(released.map(jobFor)).catch(() => undefined)
  }

  let localChains = 0
  let reserved = 0
  const idleWaiters: (() => void)[] = []

  /**
   * Room for a run this process emitted to start here instead of going through the queue: up to
   * `concurrency` such runs at a time, beside the queue worker's own `concurrency`.
   */
  function localStart(): LocalStart | undefined {
    // A slot is reserved before the emit's statement runs, so many emits at once cannot all
    // see the same free room.
    if (draining || localChains + reserved >= deps.concurrency) return undefined
    reserved++
    let released = false
    return {
      leaseMs: deps.leaseMs,
      start: (claim) => void runLocally(claim),
      release: () => {
        if (!released) reserved--
        released = true
      },
    }
  }

  async function runLocally(claim: Claim): Promise<void> {
    localChains++
    try {
      let next: Claim | null = claim
      for (let inline = 0; next && inline < MAX_INLINE_STEPS; inline++) next = await execute(next)
      if (next) await queue.enqueue([{ ...jobFor(next.step), delayMs: 0 }])
    } catch (err) {
      // The step stays claimed until its lease runs out; then the reconciler hands it to a worker.
      logger.warn({ err, stepRunId: claim.step.id }, 'pulse-engine: a step started in the emitting process failed to run; it will be retried')
    } finally {
      localChains--
      if (localChains === 0) for (const resolve of idleWaiters.splice(0)) resolve()
    }
  }

  /** Resolves once no run started in this process (outside the queue) is still going. */
  function localIdle(): Promise<void> {
    if (localChains === 0) return Promise.resolve()
    return new Promise((resolve) => idleWaiters.push(resolve))
  }

  /** Resolves once every handler this process aborted has returned. */
  const handlersReturned = (): Promise<void> => handlers.returned()

  /** From now on this process claims nothing: inline continuations stop and new jobs are refused. */
  function beginShutdown(): void {
    draining = true
  }

  /** start() after stop(): claiming is allowed again. */
  function resume(): void {
    draining = false
  }

  return { processJob, applyEffects, commit, abortRun, releaseAll, beginShutdown, resume, localStart, localIdle, handlersReturned }
}

export type Executor = ReturnType<typeof createExecutor>

function unregistered(kind: 'action' | 'condition', name: string): string {
  const method = kind === 'action' ? 'registerAction' : 'registerCondition'
  return `${kind} "${name}" is not registered in this process; register it with engine.${method}("${name}", ...) before start()`
}
