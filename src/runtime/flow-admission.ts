import type { StepQueue } from '../queue/index.js'
import type { Admission, AdmissionOutcome, HeldRun, RunRecord, SkippedStart, StepRecord, Store, StoreSession } from '../store/index.js'
import type { EngineLogger, StepType } from '../types.js'
import { jobFor } from './job-for.js'
import { planAdmission } from './run-state.js'


export interface FlowAdmissionDeps {
  store: Store
  queue: StepQueue
  logger: EngineLogger
  /** Cancels a run (concurrency mode `cancel-running`). */
  cancel: (runId: string, reason: string) => Promise<unknown>
}

/** Held runs one admission pass looks at, per group. */
const HELD_PER_PASS = 500

/**
 * Flow control's admission: gives held runs their places, one workflow of one tenant at a time,
 * under that group's transaction lock, so two engines admitting at once see each other's slots.
 * Everything it decides is written in that transaction; the queue jobs of the runs it admitted
 * are added after the commit (the reconciler adds any a crash loses).
 */
export function createFlowAdmission(deps: FlowAdmissionDeps) {
  const { store, queue, logger } = deps

  async function admitGroup(tenantId: string, group: string): Promise<Map<string, AdmissionOutcome>> {
    const toCancel: string[] = []
    const ready: StepRecord[] = []
    const outcomes = await store.transaction(async (tx) => {
      const now = await tx.flow.lockGroup(tenantId, group)
      const held = await tx.flow.heldRuns(tenantId, group, HELD_PER_PASS)
      const decided = await decide(tx, tenantId, now, held, toCancel)
      ready.push(...(await tx.flow.admit(decided.admissions)))
      const skipped = [...decided.outcomes.values()].flatMap((o) => (o.kind === 'skipped' ? [o.skip] : []))
      const skippedRuns = [...decided.outcomes].filter(([, o]) => o.kind === 'skipped').map(([id]) => id)
      await tx.flow.skip(skippedRuns, skipped, tenantId)
      await tx.flow.markChecked([...decided.outcomes].filter(([, o]) => o.kind === 'held').map(([id]) => id))
      ready.push(...decided.folded)
      return decided.outcomes
    })
    if (ready.length > 0) {
      await queue.enqueue(ready.map(jobFor)).catch((err: unknown) => {
        logger.warn({ err }, 'pulse-engine: could not enqueue admitted runs; the reconciler will pick them up')
      })
    }
    for (const runId of toCancel) {
      await deps.cancel(runId, 'canceled by a newer run of its concurrency key (cancel-running)').catch((err: unknown) => {
        logger.warn({ err, runId }, 'pulse-engine: could not cancel a run for a newer one; it keeps its slot until it ends')
      })
    }
    return outcomes
  }

  // Per group: the pass in flight, and the one queued behind it that every caller arriving in the
  // meantime shares (one pass decides all of a group's held runs, so more would only queue on its lock).
  type Outcomes = Map<string, AdmissionOutcome>
  const passes = new Map<string, { running: Promise<Outcomes>; next?: Promise<Outcomes> }>()
  const admitShared = (tenantId: string, group: string): Promise<Outcomes> => {
    const id = `${tenantId}\u001f${group}`
    const start = (entry: { running: Promise<Outcomes>; next?: Promise<Outcomes> }) => {
      const pass = admitGroup(tenantId, group)
      entry.running = pass
      void pass.catch(() => undefined).then(() => {
        if (passes.get(id) === entry && entry.running === pass && !entry.next) passes.delete(id)
      })
      return pass
    }
    const entry = passes.get(id)
    if (!entry) {
      const fresh = {} as { running: Promise<Outcomes>; next?: Promise<Outcomes> }
      passes.set(id, fresh)
      return start(fresh)
    }
    entry.next ??= entry.running.catch(() => undefined).then(() => {
      entry.next = undefined
      return start(entry)
    })
    return entry.next
  }

  return {
    admitGroup: admitShared,
    /** Admits what it can of the groups these new runs belong to; returns what became of each held one. */
    async admitNew(runs: RunRecord[]): Promise<Map<string, AdmissionOutcome>> {
      const outcomes = new Map<string, AdmissionOutcome>()
      const groups = new Map<string, { tenantId: string; group: string }>()
      for (const run of runs) if (run.held && run.flowGroup) groups.set(`${run.tenantId}\u001f${run.flowGroup}`, { tenantId: run.tenantId, group: run.flowGroup })
      for (const { tenantId, group } of groups.values()) for (const [id, o] of await admitShared(tenantId, group)) outcomes.set(id, o)
      // Runs an admission pass of another engine (or of a run that just ended) got to first.
      const decidedElsewhere = runs.filter((run) => run.held && !outcomes.has(run.id))
      if (decidedElsewhere.length > 0) {
        for (const [id, o] of await store.flow.outcomesOf(decidedElsewhere.map((r) => r.id))) outcomes.set(id, o)
        const skips = await store.flow.skippedFor(decidedElsewhere[0]!.triggerId)
        for (const run of decidedElsewhere) {
          const skip = outcomes.has(run.id) ? undefined : skips.find((s) => s.definitionId === run.definitionId)
          if (skip) outcomes.set(run.id, { kind: 'skipped', skip })
        }
      }
      return outcomes
    },
    /** A run under flow control ended: its slot is free, so the next held run of its group may start. */
    ended(run: RunRecord): void {
      if (!run.flowGroup) return
      admitShared(run.tenantId, run.flowGroup).catch((err: unknown) => {
        logger.warn({ err, runId: run.id }, 'pulse-engine: could not admit the next held run; the reconciler will')
      })
    },
  }
}

export type FlowAdmission = ReturnType<typeof createFlowAdmission>

/**
 * Decides, in order, what each held run gets: debounce folds a signal into its key's waiting run
 * or opens one; a rate limit skips a start over its limit; a concurrency limit admits while slots
 * are free and otherwise holds, skips or cancels the oldest holder; a throttle admits at the next
 * time its period has room.
 */
async function decide(tx: StoreSession, tenantId: string, now: Date, held: HeldRun[], toCancel: string[]) {
  const outcomes = new Map<string, AdmissionOutcome>()
  const admissions: (Admission & { firstStepDelayMs: number; debounceOf?: string })[] = []
  const folded: StepRecord[] = []
  const slots = new Map<string, string[]>()
  const starts = new Map<string, Date[]>()
  // With a throttle, the throttle's period decides `starts`; a rate limit beside it counts its own.
  const limitStarts = new Map<string, Date[]>()
  // Held runs of a rate key that passed its limit and wait for a slot: starts already promised.
  const reserved = new Map<string, number>()
  const admittedChecked = new Map<string, number>()
  const debounceRuns = new Map<string, { runId: string; createdAt: Date } | null>()
  // A concurrency key whose first held run could not start: later runs of that key wait behind it.
  const blocked = new Set<string>()

  for (const run of held) {
    const { flow } = run
    const skip = (reason: SkippedStart['reason'], foldedInto?: string) =>
      outcomes.set(run.id, { kind: 'skipped', skip: { triggerId: run.triggerId, definitionId: run.definitionId, workflowKey: run.workflowKey, reason, ...(foldedInto ? { runId: foldedInto } : {}) } })
    let at = now
    let heldBy: 'throttle' | 'debounce' | undefined

    if (flow.debounce && run.debounceKey !== null && !run.checked) {
      if (!debounceRuns.has(run.debounceKey)) debounceRuns.set(run.debounceKey, await tx.flow.openDebounce(tenantId, run.debounceKey))
      const open = debounceRuns.get(run.debounceKey)
      const quietUntil = new Date(now.getTime() + flow.debounce.waitMs)
      if (open) {
        const latest = flow.debounce.maxWaitMs === undefined ? quietUntil : new Date(Math.min(quietUntil.getTime(), open.createdAt.getTime() + flow.debounce.maxWaitMs))
        const step = await tx.flow.fold(open.runId, run.triggerId, latest, run.firstStepDelayMs)
        if (step) {
          folded.push(step)
          skip('debounced', open.runId)
          continue
        }
      }
      debounceRuns.set(run.debounceKey, { runId: run.id, createdAt: now })
      at = flow.debounce.maxWaitMs === undefined ? quietUntil : new Date(Math.min(quietUntil.getTime(), now.getTime() + flow.debounce.maxWaitMs))
      heldBy = 'debounce'
    }

    const rate = flow.throttle ?? flow.rateLimit
    let recent: Date[] = []
    if (rate && run.rateKey !== null) {
      if (!starts.has(run.rateKey)) starts.set(run.rateKey, await tx.flow.startsSince(tenantId, run.rateKey, now, rate.periodMs))
      recent = starts.get(run.rateKey)!
      if (flow.rateLimit && !run.checked) {
        const periodMs = flow.rateLimit.periodMs
        if (flow.throttle && !limitStarts.has(run.rateKey)) limitStarts.set(run.rateKey, await tx.flow.startsSince(tenantId, run.rateKey, now, periodMs))
        // The starts allotted within the rate limit's period, those a throttle put later included.
        const counted = flow.throttle ? limitStarts.get(run.rateKey)! : recent
        if (!reserved.has(run.rateKey)) {
          // Runs admitted earlier in this pass still read as held: they count once, among the starts.
          const promised = await tx.flow.reservedStarts(tenantId, run.rateKey, now, periodMs)
          reserved.set(run.rateKey, promised - (admittedChecked.get(run.rateKey) ?? 0))
        }
        if (counted.length + reserved.get(run.rateKey)! >= flow.rateLimit.limit) {
          skip('rate_limited')
          continue
        }
      }
    }

    if (flow.concurrency && run.concurrencyKey !== null) {
      if (!slots.has(run.concurrencyKey)) slots.set(run.concurrencyKey, await tx.flow.slotHolders(tenantId, run.concurrencyKey))
      const holders = slots.get(run.concurrencyKey)!
      if (blocked.has(run.concurrencyKey) || holders.length >= flow.concurrency.limit) {
        const mode = flow.concurrency.mode ?? 'queue'
        if (mode === 'skip') {
          skip('concurrency_skip')
          continue
        }
        if (mode === 'cancel-running' && !blocked.has(run.concurrencyKey)) {
          // Enough of the oldest holders to free one slot; the new run starts when they have ended.
          const excess = holders.length - flow.concurrency.limit + 1
          for (const id of holders.slice(0, excess)) if (!toCancel.includes(id)) toCancel.push(id)
        }
        blocked.add(run.concurrencyKey)
        outcomes.set(run.id, { kind: 'held', heldBy: 'concurrency' })
        if (!run.checked && run.rateKey !== null && reserved.has(run.rateKey)) reserved.set(run.rateKey, reserved.get(run.rateKey)! + 1)
        continue
      }
      holders.push(run.id)
    }

    if (flow.throttle && run.rateKey !== null) {
      // `recent` is newest first; the limit-th newest start leaves the window one period later.
      const nth = recent[flow.throttle.limit - 1]
      if (nth && nth.getTime() + flow.throttle.periodMs > at.getTime()) {
        at = new Date(nth.getTime() + flow.throttle.periodMs)
        heldBy ??= 'throttle'
      }
      recent.push(at)
      recent.sort((a, b) => b.getTime() - a.getTime())
      limitStarts.get(run.rateKey)?.unshift(at)
    } else if (rate && run.rateKey !== null) {
      recent.unshift(at)
    }
    if (flow.rateLimit && run.rateKey !== null && run.checked) {
      admittedChecked.set(run.rateKey, (admittedChecked.get(run.rateKey) ?? 0) + 1)
      if (reserved.has(run.rateKey)) reserved.set(run.rateKey, reserved.get(run.rateKey)! - 1)
    }

    const later = at.getTime() > now.getTime()
    admissions.push({ runId: run.id, at, firstStepDelayMs: run.firstStepDelayMs, ...planAdmission(run.firstStepType as StepType, later), ...(heldBy === 'debounce' ? { debounceOf: run.triggerId } : {}) })
    outcomes.set(run.id, heldBy ? { kind: 'admitted', heldBy } : { kind: 'admitted' })
  }
  return { outcomes, admissions, folded }
}
