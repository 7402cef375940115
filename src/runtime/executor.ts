import type { StepJobData, StepQueue } from '../queue/index.js'
import type { Claim, RunRecord, Store } from '../store/index.js'
import type { Telemetry } from '../telemetry/index.js'
import type { EngineLogger } from '../types.js'
import { handBackRunning } from './hand-back.js'
import type { EngineEmit } from './handler-emit.js'
import { createHandlerRunner } from './handler-runner.js'
import type { HookFirer } from './hooks.js'
import { jobFor } from './job-for.js'
import { createLocalStarts, type LocalStart } from './local-starts.js'
import { createOutcomeRecorder } from './record-outcome.js'
import type { Registry } from './registry.js'
import { createStepClaimer } from './step-claims.js'
import { createStepRunner } from './step-runner.js'
import { createTransitionCommitter, type TransitionCommitter } from './transition-commit.js'

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
  emit: EngineEmit
  /** What handlers' ctx.now() returns; default the system clock. */
  now?: () => Date
  /** A run ended (completed, failed, canceled); flow control gives its slot to the next held run. */
  onRunEnded?: (run: RunRecord) => void
  telemetry: Telemetry
}

/** Executes the steps of this process: from queue jobs and from runs it emitted itself. */
export interface Executor {
  /** Claims the job's step and runs it, then the steps this worker claims after it. */
  processJob(job: StepJobData): Promise<void>
  commit: TransitionCommitter['commit']
  /** Aborts a handler running here for a run that was canceled. */
  abortRun(runId: string): void
  /** Shutdown: aborts the handlers still running and hands their steps back to the queue. */
  releaseAll(): Promise<void>
  /** From now on this process claims nothing: inline continuations stop and new jobs are refused. */
  beginShutdown(): void
  /** start() after stop(): claiming is allowed again. */
  resume(): void
  /** Room for an emitted run to start in this process (see LocalStarts). */
  localStart(): LocalStart | undefined
  /** Resolves once no run started in this process (outside the queue) is still going. */
  localIdle(): Promise<void>
  /** Resolves once every handler this process aborted has returned. */
  handlersReturned(): Promise<void>
}

export type { LocalStart } from './local-starts.js'

const systemNow = () => new Date()

/** How many steps one job may run back to back before the chain goes through the queue again. */
const MAX_INLINE_STEPS = 100

/**
 * Wires the parts that execute steps: claiming (step-claims), running one step (step-runner,
 * handler-runner), recording its outcome through the planner (record-outcome, transition-commit),
 * runs started where they were emitted (local-starts) and shutdown (hand-back).
 */
export function createExecutor(deps: ExecutorDeps): Executor {
  const { store, queue, hooks, logger } = deps
  // Set when stop() begins: no step is claimed in this process from then on.
  let draining = false
  const isDraining = () => draining
  const handlers = createHandlerRunner({ store, emit: deps.emit, leaseMs: deps.leaseMs, now: deps.now ?? systemNow })
  const claimer = createStepClaimer({ store, leaseMs: deps.leaseMs })
  const { telemetry, onRunEnded } = deps
  const committer = createTransitionCommitter({ store, queue, hooks, logger, telemetry, onRunEnded })
  const recorder = createOutcomeRecorder({ store, hooks, committer, leaseMs: deps.leaseMs, isDraining, telemetry, onRunEnded })
  const steps = createStepRunner({ store, registry: deps.registry, handlers, recorder, maxOutputBytes: deps.maxOutputBytes, telemetry })
  const local = createLocalStarts({ concurrency: deps.concurrency, leaseMs: deps.leaseMs, isDraining, runChain, logger })

  /**
   * A run whose next step is due now continues in this worker: the transition that finishes a
   * step also claims the next one, so the chain skips a queue round trip per step. The state
   * stays in Postgres; if this process dies, the claimed step's lease runs out and the
   * reconciler hands it to another worker.
   */
  async function runChain(claim: Claim): Promise<void> {
    let next: Claim | null = claim
    for (let inline = 0; next && inline < MAX_INLINE_STEPS; inline++) next = await steps.run(next)
    if (next) await queue.enqueue([{ ...jobFor(next.step), delayMs: 0 }])
  }

  return {
    async processJob(job) {
      if (draining) throw new Error('the engine is shutting down; the job goes back to the queue')
      const claim = await claimer.claim(job)
      if ('reason' in claim) {
        if (claim.reason === 'not-due') await queue.enqueue([{ ...job, fence: claim.fence, delayMs: claim.dueInMs }])
        return
      }
      await runChain(claim)
    },
    commit: committer.commit,
    abortRun: (runId) => handlers.abortRun(runId),
    releaseAll: () => handBackRunning({ store, queue, logger, handlers }),
    beginShutdown: () => void (draining = true),
    resume: () => void (draining = false),
    localStart: () => local.reserve(),
    localIdle: () => local.idle(),
    handlersReturned: () => handlers.returned(),
  }
}
