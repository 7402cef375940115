import type { Claim } from '../store/index.js'
import type { EngineLogger } from '../types.js'

/** Room to start an emitted run in this process; release() once the emit is done with it. */
export interface LocalStart {
  leaseMs: number
  start(claim: Claim): void
  release(): void
}

/** Runs this process emitted and starts itself, outside the queue. */
export interface LocalStarts {
  /** Room for one more such run, or undefined when there is none (or the engine is stopping). */
  reserve(): LocalStart | undefined
  /** Resolves once no run started this way is still going. */
  idle(): Promise<void>
}

export interface LocalStartsDeps {
  /** How many such runs may go at once (beside the queue worker's own concurrency). */
  concurrency: number
  leaseMs: number
  isDraining: () => boolean
  /** Runs a claimed step and the steps this worker claims after it. */
  runChain: (claim: Claim) => Promise<void>
  logger: EngineLogger
}

/**
 * Room for a run this process emitted to start here instead of going through the queue: up to
 * `concurrency` such runs at a time. A slot is reserved before the emit's statement runs, so many
 * emits at once cannot all see the same free room.
 */
export function createLocalStarts(deps: LocalStartsDeps): LocalStarts {
  let chains = 0
  let reserved = 0
  const idleWaiters: (() => void)[] = []

  async function runLocally(claim: Claim): Promise<void> {
    chains++
    try {
      await deps.runChain(claim)
    } catch (err) {
      // The step stays claimed until its lease runs out; then the reconciler hands it to a worker.
      deps.logger.warn({ err, stepRunId: claim.step.id }, 'pulse-engine: a step started in the emitting process failed to run; it will be retried')
    } finally {
      chains--
      if (chains === 0) for (const resolve of idleWaiters.splice(0)) resolve()
    }
  }

  return {
    reserve() {
      if (deps.isDraining() || chains + reserved >= deps.concurrency) return undefined
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
    },
    idle() {
      if (chains === 0) return Promise.resolve()
      return new Promise((resolve) => idleWaiters.push(resolve))
    },
  }
}
