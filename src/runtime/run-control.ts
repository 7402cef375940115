import { PulseNotFoundError, PulseStateError } from '../errors.js'
import type { RunRecord } from '../store/index.js'
import type { Executor } from './executor.js'
import { canTransition, planCancel, planRetry } from './run-state.js'

/** Cancels a run: pending and scheduled steps are skipped, queued jobs removed, running handlers aborted. */
export async function cancelRun(executor: Executor, runId: string, reason: string | undefined, tenantId?: string): Promise<RunRecord> {
  let result: RunRecord | undefined
  await executor.commit(runId, async (tx, run, fx) => {
    if (tenantId !== undefined && run.tenantId !== tenantId) return
    if (!canTransition(run.status, 'canceled')) {
      throw new PulseStateError(`run "${runId}" is ${run.status} and cannot be canceled; only pending, running or waiting runs can`)
    }
    const cancel = planCancel().run
    const ended = await tx.runs.transition(runId, cancel.from, cancel.to, { cancelReason: reason })
    const skipped = await tx.steps.skipUnfinished(runId, reason ? `canceled: ${reason}` : 'canceled', 'cancel')
    await tx.waits.closeForRun(runId)
    fx.removeJobs.push(...skipped)
    fx.finishedSteps.push(...skipped)
    if (ended) {
      fx.endedRun = ended
      result = ended
    }
  })
  if (!result) throw new PulseNotFoundError('run', runId)
  executor.abortRun(runId)
  return result
}

/** Retries a failed run from where it failed: the failed steps start over with fresh attempts. */
export async function retryRun(executor: Executor, runId: string, tenantId?: string): Promise<RunRecord> {
  let result: RunRecord | undefined
  await executor.commit(runId, async (tx, run, fx) => {
    if (tenantId !== undefined && run.tenantId !== tenantId) return
    // waiting -> running is a legal edge too, but it belongs to delays, not to retry (planRetry).
    const retry = planRetry().run
    if (!retry.from.includes(run.status)) {
      throw new PulseStateError(`run "${runId}" is ${run.status}; only a failed run can be retried`)
    }
    const limit = run.definitionSnapshot.flow?.concurrency
    if (limit && run.flowGroup && run.concurrencyKey) {
      // A failed run gave its slot back; resuming it takes one again, under the same lock as
      // admission, so a retry can never put a key over its limit.
      await tx.flow.lockGroup(run.tenantId, run.flowGroup)
      const holders = await tx.flow.slotHolders(run.tenantId, run.concurrencyKey)
      if (holders.length >= limit.limit) {
        throw new PulseStateError(
          `run "${runId}" cannot be retried now: its workflow allows ${limit.limit} active run${limit.limit === 1 ? '' : 's'} per ${limit.key ?? 'tenant'} and ${holders.length === 1 ? 'run' : 'runs'} ${holders.slice(0, 3).join(', ')}${holders.length > 3 ? ', ...' : ''} ${holders.length === 1 ? 'holds' : 'hold'} the slots; retry it when one ends`,
        )
      }
    }
    const reset = await tx.steps.resetForRetry(runId)
    await tx.waits.forget(reset.filter((s) => s.stepType === 'wait_for_signal').map((s) => s.id))
    const resumed = await tx.runs.transition(runId, retry.from, retry.to, { errorMessage: null })
    await tx.logs.insert({ runId, tenantId: run.tenantId, level: 'info', message: 'retry requested', data: { steps: reset.map((s) => s.stepName) } })
    fx.enqueue.push(...reset.filter((s) => s.stepType !== 'parallel'))
    if (resumed) result = resumed
  })
  if (!result) throw new PulseNotFoundError('run', runId)
  return result
}
