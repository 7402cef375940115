import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Engine, FlowControl, WorkflowStep } from '../../src/index.js'
import { eventually, startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

// One engine for the file (starting one costs seconds in the embedded mode); each test has its
// own tenant, and flow control never looks past a tenant.
let tenants = 0

/** A handler that blocks each run until the test lets it go. */
function gates() {
  const open = new Map<string, () => void>()
  const started: string[] = []
  return {
    started,
    handler: async (ctx: { run: { id: string } }) => {
      started.push(ctx.run.id)
      await new Promise<void>((resolve) => open.set(ctx.run.id, resolve))
      return { success: true }
    },
    release(runId: string) {
      const go = open.get(runId)
      if (!go) return false
      open.delete(runId)
      go()
      return true
    },
    releaseAll() {
      for (const id of [...open.keys()]) this.release(id)
    },
  }
}

describe.skipIf(servicesMissing())('flow control: concurrency, rate limit, throttle, debounce, priority', () => {
  let t: TestEngine
  let engine: Engine
  let acme: string
  let gate = gates()
  const seen: { runId: string; triggerId: string; debounced: string[]; at: number }[] = []
  let healed = false

  beforeAll(async () => {
    t = await startTestEngine({ concurrency: 10 })
    engine = t.engine
    engine.registerTrigger('order.placed', { source: 'shop' })
    engine.registerAction('hold', (ctx) => gate.handler(ctx))
    engine.registerAction('fail_or_hold', (ctx) => {
      if ((ctx.trigger.payload as { fail?: boolean }).fail && !healed) throw new Error('card declined')
      return gate.handler(ctx)
    })
    engine.registerAction('note', (ctx) => {
      seen.push({ runId: ctx.run.id, triggerId: ctx.trigger.id, debounced: ctx.debounced, at: Date.now() })
      return { success: true }
    })
  })
  afterAll(async () => {
    gate.releaseAll()
    await t.close()
  })
  beforeEach(() => {
    acme = `acme${++tenants}`
    gate.releaseAll()
    gate = gates()
    seen.length = 0
    healed = false
  })

  const define = (flow: FlowControl, steps: WorkflowStep[] = [{ type: 'action', name: 'hold' }]) =>
    engine.createWorkflow({ tenantId: acme, key: 'orders', name: 'orders', triggerType: 'order.placed', steps, config: {}, isEnabled: true, flow })
  const emit = (accountId: string, extra: { priority?: number } = {}) => engine.emit({ tenantId: acme, type: 'order.placed', payload: { accountId }, ...extra })
  /** Admitted runs of the tenant that have not ended, per account, read from Postgres. */
  const slotsInUse = async () => {
    const { rows } = await t.pool.query(
      `SELECT tr.payload ->> 'accountId' AS account, count(*)::int AS n FROM ${t.tablePrefix}workflow_runs r JOIN ${t.tablePrefix}triggers tr ON tr.id = r.trigger_id
       WHERE r.tenant_id = $1 AND NOT r.held AND r.status IN ('pending', 'running', 'waiting') GROUP BY 1`,
      [acme],
    )
    return Object.fromEntries(rows.map((r: { account: string; n: number }) => [r.account, r.n]))
  }

  it('concurrency (queue): at most `limit` active runs per key; the rest wait, higher priority first, and all complete', async () => {
    await define({ concurrency: { limit: 2, key: 'payload.accountId' } })
    const first = [await emit('a'), await emit('a')]
    const waiting = [await emit('a'), await emit('a')]
    const urgent = await emit('a', { priority: 9 })
    const other = await emit('b')
    expect(first.flatMap((e) => e.runs.map((r) => r.heldBy))).toEqual([undefined, undefined])
    expect([...waiting, urgent].map((e) => e.runs[0]!.heldBy)).toEqual(['concurrency', 'concurrency', 'concurrency'])
    expect(other.runs[0]!.heldBy).toBeUndefined()
    await eventually(() => (gate.started.length === 3 ? true : undefined), 15_000, 'two runs of a and one of b started')
    expect(await slotsInUse()).toEqual({ a: 2, b: 1 })

    // Free one slot of "a": the priority-9 run goes before the two that waited longer.
    gate.release(first[0]!.runs[0]!.runId)
    await eventually(() => (gate.started.length === 4 ? true : undefined), 15_000, 'the next run of a started')
    expect(gate.started[3]).toBe(urgent.runs[0]!.runId)
    expect((await slotsInUse()).a).toBe(2)

    const all = [...first, ...waiting, urgent, other].map((e) => e.runs[0]!.runId)
    await eventually(async () => {
      for (const id of all) gate.release(id)
      const runs = await Promise.all(all.map((id) => engine.getRun(id)))
      return runs.every((r) => r?.status === 'completed') ? true : undefined
    }, 20_000, 'every run completed')
  })

  it('concurrency (skip): a signal that finds no free slot starts no run, and says why', async () => {
    await define({ concurrency: { limit: 1, mode: 'skip' } })
    const first = await emit('a')
    const second = await emit('a')
    expect(first.runs).toHaveLength(1)
    expect(second.runs).toEqual([])
    expect(second.skipped).toEqual([{ workflowKey: 'orders', definitionId: first.runs[0]!.definitionId, reason: 'concurrency_skip' }])
    expect(await engine.getRunsByTrigger(second.id)).toEqual([])
    expect((await engine.getTrigger(second.id))!.skipped).toEqual(second.skipped)
    expect((await engine.getTrigger(first.id))!.skipped).toEqual([])
    gate.releaseAll()
    await eventually(async () => {
      gate.releaseAll()
      return (await engine.getRun(first.runs[0]!.runId))?.status === 'completed' ? true : undefined
    })
  })

  it('concurrency (cancel-running): the newest run wins; the one holding the slot is canceled', async () => {
    await define({ concurrency: { limit: 1, mode: 'cancel-running' } })
    const first = await emit('a')
    await eventually(() => (gate.started.length === 1 ? true : undefined))
    const second = await emit('a')
    const old = await waitForRun(engine, first.runs[0]!.runId, ['canceled'])
    expect(old.cancelReason).toMatch(/cancel-running/)
    await eventually(async () => {
      gate.releaseAll()
      return (await engine.getRun(second.runs[0]!.runId))?.status === 'completed' ? true : undefined
    })
  })

  it('rate limit: starts over the limit within the period start no run', async () => {
    await define({ rateLimit: { limit: 2, periodMs: 3_600_000 } }, [{ type: 'action', name: 'note' }])
    const results = [await emit('a'), await emit('b'), await emit('c')]
    expect(results.map((r) => r.runs.length)).toEqual([1, 1, 0])
    expect(results[2]!.skipped.map((s) => s.reason)).toEqual(['rate_limited'])
    await Promise.all(results.slice(0, 2).map((r) => waitForRun(engine, r.runs[0]!.runId)))
  })

  it('throttle: the excess waits and starts one period later, in order', async () => {
    const periodMs = 400
    await define({ throttle: { limit: 1, periodMs } }, [{ type: 'action', name: 'note' }])
    const results = [await emit('a'), await emit('b'), await emit('c')]
    expect(results.map((r) => r.runs[0]!.heldBy)).toEqual([undefined, 'throttle', 'throttle'])
    const runs = await Promise.all(results.map((r) => waitForRun(engine, r.runs[0]!.runId)))
    // The starts the throttle allotted (the database's clock), one period apart...
    const { rows } = await t.pool.query(`SELECT id, admitted_at FROM ${t.tablePrefix}workflow_runs WHERE id = ANY($1::text[])`, [runs.map((r) => r.id)])
    const allotted = runs.map((r) => (rows.find((row: { id: string }) => row.id === r.id) as { admitted_at: Date }).admitted_at.getTime())
    expect(allotted[1]! - allotted[0]!).toBeGreaterThanOrEqual(periodMs)
    expect(allotted[2]! - allotted[1]!).toBeGreaterThanOrEqual(periodMs)
    // ...and no first step ran before its start (a claim may take a step up to 25 ms early).
    const started = await Promise.all(runs.map(async (r) => (await engine.getRunSteps(r.id))[0]!.startedAt!.getTime()))
    started.forEach((at, i) => expect(at).toBeGreaterThanOrEqual(allotted[i]! - 25))
  })

  it('throttle and rate limit together: the throttle spaces the starts, the rate limit drops those over its own count', async () => {
    await define({ throttle: { limit: 1, periodMs: 60_000 }, rateLimit: { limit: 2, periodMs: 3_600_000 } }, [{ type: 'action', name: 'note' }])
    const results = [await emit('a'), await emit('b'), await emit('c')]
    expect(results.map((r) => r.runs.map((run) => run.heldBy ?? 'now'))).toEqual([['now'], ['throttle'], []])
    expect(results[2]!.skipped.map((s) => s.reason)).toEqual(['rate_limited'])
    await waitForRun(engine, results[0]!.runs[0]!.runId)
    expect(await engine.getRun(results[1]!.runs[0]!.runId)).toMatchObject({ status: 'pending', heldBy: 'throttle' })
  })

  it('debounce: signals close together start one run, after the quiet period, with the last as its trigger', async () => {
    await define({ debounce: { waitMs: 400, key: 'payload.accountId' } }, [{ type: 'action', name: 'note' }])
    const a = [await emit('a'), await emit('a'), await emit('a')]
    const b = await emit('b')
    const runId = a[0]!.runs[0]!.runId
    expect(a[0]!.runs[0]!.heldBy).toBe('debounce')
    expect(a.slice(1).map((e) => e.skipped)).toEqual([
      [{ workflowKey: 'orders', definitionId: a[0]!.runs[0]!.definitionId, reason: 'debounced', runId }],
      [{ workflowKey: 'orders', definitionId: a[0]!.runs[0]!.definitionId, reason: 'debounced', runId }],
    ])
    await waitForRun(engine, runId)
    await waitForRun(engine, b.runs[0]!.runId)
    const ran = seen.find((s) => s.runId === runId)!
    expect(ran.triggerId).toBe(a[2]!.id)
    expect(ran.debounced).toEqual(a.map((e) => e.id))
    expect(seen.find((s) => s.runId === b.runs[0]!.runId)!.debounced).toEqual([b.id])
    expect(seen).toHaveLength(2)
  })

  it('refuses an emit priority outside 1-10, naming it, with nothing written', async () => {
    await define({ concurrency: { limit: 1 } })
    for (const priority of [0, 11, 2.5]) {
      await expect(emit('a', { priority })).rejects.toMatchObject({ name: 'PulseValidationError', issues: [{ path: ['priority'] }] })
    }
    expect(await engine.listSignals({ tenantId: acme })).toEqual([])
  })

  it('a run that ends in any way frees its slot: canceling a slot holder starts the next', async () => {
    await define({ concurrency: { limit: 1 } })
    const first = await emit('a')
    const second = await emit('a')
    expect(second.runs[0]!.heldBy).toBe('concurrency')
    await eventually(() => (gate.started.length === 1 ? true : undefined))
    await engine.cancelRun(first.runs[0]!.runId, 'not needed')
    await eventually(() => (gate.started.length === 2 ? true : undefined), 15_000, 'the held run started')
    expect(gate.started[1]).toBe(second.runs[0]!.runId)
    gate.releaseAll()
    await waitForRun(engine, second.runs[0]!.runId)
  })

  it('retrying a failed run takes a slot again: refused while its key has none free, done once one frees', async () => {
    await define({ concurrency: { limit: 1 } }, [{ type: 'action', name: 'fail_or_hold' }])
    const failing = await engine.emit({ tenantId: acme, type: 'order.placed', payload: { accountId: 'a', fail: true } })
    const failedId = failing.runs[0]!.runId
    expect((await waitForRun(engine, failedId)).status).toBe('failed')
    const next = await emit('a')
    await eventually(() => (gate.started.includes(next.runs[0]!.runId) ? true : undefined))
    healed = true

    await expect(engine.retryRun(failedId)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining(`allows 1 active run per tenant and run ${next.runs[0]!.runId} holds the slots`) })
    expect((await engine.getRun(failedId))!.status).toBe('failed')
    expect(await slotsInUse()).toEqual({ a: 1 })

    gate.release(next.runs[0]!.runId)
    await waitForRun(engine, next.runs[0]!.runId)
    await engine.retryRun(failedId)
    await eventually(() => (gate.started.includes(failedId) ? true : undefined))
    expect(await slotsInUse()).toEqual({ a: 1 })
    gate.release(failedId)
    expect((await waitForRun(engine, failedId)).status).toBe('completed')
  })
})
