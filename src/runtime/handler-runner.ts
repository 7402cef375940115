import type { Claim, Store } from '../store/index.js'
import type { StepWatch } from '../telemetry/index.js'
import type { HandlerContext, WorkflowStep } from '../types.js'
import { buildContext } from './handler-context.js'
import type { EngineEmit } from './handler-emit.js'
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
  /** When its claim was last extended (or taken). */
  beatAt: number
  abort(reason: AbortReason): void
}

/**
 * Runs handlers: each gets an abort signal wired to the step's timeout, to cancel and to
 * shutdown. One heartbeat loop serves every handler of the process: a single statement extends
 * the claims of those that have run for a while, and notices runs canceled in another process and
 * steps taken over by another worker. Most handlers finish long before their first beat, so the
 * common step sets up no timer and, unless the handler reads `ctx.signal`, no AbortController.
 */
export function createHandlerRunner(deps: { store: Store; emit: EngineEmit; leaseMs: number; now: () => Date }) {
  const running = new Map<string, RunningHandler>()
  // Aborted handler calls that have not returned yet: the step has moved on without them, but
  // shutdown gives them a moment to finish their own cleanup before the process closes its pools.
  const abandoned = new Set<Promise<Outcome>>()
  const beatEveryMs = Math.max(250, Math.floor(deps.leaseMs / 3))
  let beating: ReturnType<typeof setInterval> | undefined

  function beat(): void {
    if (running.size === 0) {
      clearInterval(beating)
      beating = undefined
      return
    }
    const now = Date.now()
    const due = [...running.values()].filter((h) => now - h.beatAt >= beatEveryMs)
    if (due.length === 0) return
    for (const h of due) h.beatAt = now
    deps.store.steps
      .heartbeatMany(
        due.map((h) => ({ stepId: h.stepId, fence: h.fence })),
        deps.leaseMs,
      )
      .then((statuses) => {
        for (const h of due) {
          const status = statuses.get(h.stepId)
          if (status?.runStatus === 'canceled') h.abort(new AbortReason('canceled', 'the run was canceled'))
          else if (!status?.held) h.abort(new AbortReason('lost', 'the step was taken over by another worker'))
        }
      })
      .catch(() => undefined)
  }

  async function run(claim: Claim, def: WorkflowStep, call: (ctx: HandlerContext) => Promise<Outcome>, watch?: StepWatch): Promise<Outcome> {
    const { step, run: owner } = claim
    let controller: AbortController | undefined
    let abortedWith: AbortReason | undefined
    let settleAborted!: (outcome: Outcome) => void
    const aborted = new Promise<Outcome>((resolve) => (settleAborted = resolve))
    const signal = () => {
      controller ??= new AbortController()
      if (abortedWith && !controller.signal.aborted) controller.abort(abortedWith)
      return controller.signal
    }
    const entry: RunningHandler = {
      stepId: step.id,
      runId: owner.id,
      fence: step.fence,
      beatAt: Date.now(),
      abort(reason) {
        if (abortedWith) return
        abortedWith = reason
        controller?.abort(reason)
        settleAborted({ ok: false, error: reason.message, ...(reason.kind !== 'timeout' ? { abandoned: true as const } : {}) })
      },
    }
    running.set(step.id, entry)
    // Sub-second intervals only when the lease is that short (tests); the check itself is cheap.
    beating ??= setInterval(beat, Math.max(100, Math.floor(beatEveryMs / 2))).unref()
    const { ctx, pendingLogs } = buildContext({ store: deps.store, emit: deps.emit, now: deps.now }, claim, def, signal, watch?.parent)
    const timeout = def.timeoutMs ? setTimeout(() => entry.abort(new AbortReason('timeout', `timed out after ${def.timeoutMs} ms`)), def.timeoutMs) : undefined
    const invoked = Promise.resolve()
      .then(() => call(ctx))
      .catch((err: unknown): Outcome => {
        watch?.exception(err)
        return { ok: false, error: errorMessage(err) }
      })
    try {
      return await Promise.race([invoked, aborted])
    } finally {
      clearTimeout(timeout)
      running.delete(step.id)
      if (abortedWith) {
        abandoned.add(invoked)
        void invoked.then(() => abandoned.delete(invoked))
      }
      await Promise.all(pendingLogs)
    }
  }

  return {
    run,
    running: () => [...running.values()],
    /** Resolves once every aborted handler call has returned (the others end with their steps). */
    returned: async (): Promise<void> => {
      await Promise.all(abandoned)
    },
    abortRun(runId: string): void {
      for (const entry of running.values()) {
        if (entry.runId === runId) entry.abort(new AbortReason('canceled', 'the run was canceled'))
      }
    },
    abortAll(kind: 'shutdown', message: string): void {
      for (const entry of running.values()) entry.abort(new AbortReason(kind, message))
    },
  }
}

export type HandlerRunner = ReturnType<typeof createHandlerRunner>
