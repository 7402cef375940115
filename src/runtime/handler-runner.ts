import type { Claim, Store } from '../store/index.js'
import type { HandlerContext, TriggerEnvelope, TriggerInput, WorkflowStep } from '../types.js'
import { buildContext } from './handler-context.js'
import { errorMessage, type Outcome } from './handler-outcome.js'

/** Why a handler's signal was aborted. Every reason but a timeout means the step is no longer ours. */
class AbortReason extends Error {
  constructor(
    readonly kind: 'timeout' | 'canceled' | 'lost' | 'shutdown',
    message: string,
  ) {
    super(message)
  }
}

/** A handler currently running in this process. */
export interface RunningHandler {
  stepId: string
  runId: string
  fence: number
  controller: AbortController
}

/**
 * Runs handlers: each gets an abort signal wired to the step's timeout, to cancel and to
 * shutdown, and a heartbeat that keeps its claim alive and notices when the run was canceled in
 * another process or the step was taken over.
 */
export function createHandlerRunner(deps: { store: Store; emit: (input: TriggerInput) => Promise<TriggerEnvelope>; leaseMs: number }) {
  const running = new Map<string, RunningHandler>()

  async function run(claim: Claim, def: WorkflowStep, call: (ctx: HandlerContext) => Promise<Outcome>): Promise<Outcome> {
    const { step, run: owner } = claim
    const controller = new AbortController()
    running.set(step.id, { stepId: step.id, runId: owner.id, fence: step.fence, controller })
    const { ctx, pendingLogs } = buildContext({ store: deps.store, emit: deps.emit }, claim, def, controller.signal)
    const aborted = new Promise<Outcome>((resolve) => {
      controller.signal.addEventListener('abort', () => {
        const reason = controller.signal.reason
        const abandoned = reason instanceof AbortReason && reason.kind !== 'timeout'
        resolve({ ok: false, error: reason instanceof Error ? reason.message : 'aborted', ...(abandoned ? { abandoned: true as const } : {}) })
      })
    })
    const timeout = def.timeoutMs
      ? setTimeout(() => controller.abort(new AbortReason('timeout', `timed out after ${def.timeoutMs} ms`)), def.timeoutMs)
      : undefined
    const beat = setInterval(() => {
      deps.store.steps
        .heartbeat(step.id, step.fence, deps.leaseMs)
        .then((runStatus) => {
          if (runStatus === null) controller.abort(new AbortReason('lost', 'the step was taken over by another worker'))
          else if (runStatus === 'canceled') controller.abort(new AbortReason('canceled', 'the run was canceled'))
        })
        .catch(() => undefined)
    }, Math.max(250, Math.floor(deps.leaseMs / 3)))
    try {
      const invoked = Promise.resolve()
        .then(() => call(ctx))
        .catch((err: unknown): Outcome => ({ ok: false, error: errorMessage(err) }))
      return await Promise.race([invoked, aborted])
    } finally {
      clearTimeout(timeout)
      clearInterval(beat)
      running.delete(step.id)
      await Promise.all(pendingLogs)
    }
  }

  return {
    run,
    running: () => [...running.values()],
    abortRun(runId: string): void {
      for (const entry of running.values()) {
        if (entry.runId === runId) entry.controller.abort(new AbortReason('canceled', 'the run was canceled'))
      }
    },
    abortAll(kind: 'shutdown', message: string): void {
      for (const entry of running.values()) entry.controller.abort(new AbortReason(kind, message))
    },
  }
}
