import type pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { trigger, workflow } from '../../src/index.js'
import { eventually, sleep, startTestEngine, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const fanOut = trigger('fan.out', { source: 'app' })
// The parallel step is the last one: the last branch to finish ends the run in its transaction.
const fanOutLast = workflow('fan-out-last')
  .on(fanOut)
  .parallel('fan', (b) => b.do('left', () => undefined), (b) => b.do('right', () => undefined), (b) => b.do('middle', () => undefined))

/**
 * The pool, with reads of one run by id (what a finished step reads to report itself) slowed
 * down: the window in which a later transition of the same run could report first grows from
 * well under a millisecond to 100 ms.
 */
function slowRunReads(pool: pg.Pool): pg.Pool {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') {
        const value: unknown = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      }
      return async (text: unknown, values?: unknown[]) => {
        if (typeof text === 'string' && /^SELECT \* FROM \S+workflow_runs" WHERE id = \$1/.test(text)) await sleep(100)
        return target.query(text as string, values)
      }
    },
  })
}

describe.skipIf(servicesMissing())('lifecycle hook order', () => {
  let t: TestEngine | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('calls onRunComplete after the onStepComplete of every step, also when the last branches finish together', async () => {
    t = await startTestEngine({}, { start: false })
    const calls: string[] = []
    // The only engine that runs steps, so every hook of every run is called here.
    const engine = t.sibling({
      db: slowRunReads(t.pool),
      onStepComplete: ({ run, step }) => void calls.push(`${run.id} ${step.stepName}`),
      onRunComplete: ({ run }) => void calls.push(`${run.id} end`),
    })
    engine.register(fanOutLast)
    await engine.createWorkflow({ ...fanOutLast.compile(), tenantId: 'w' })
    await engine.start()
    const runs = 10
    await Promise.all(Array.from({ length: runs }, () => engine.emit(fanOut, { tenantId: 'w', payload: {} })))
    await eventually(() => (calls.filter((c) => c.endsWith(' end')).length === runs ? true : undefined), 20_000, `${runs} runs ending`)
    const byRun = new Map<string, string[]>()
    for (const call of calls) {
      const [id, name] = call.split(' ')
      byRun.set(id!, [...(byRun.get(id!) ?? []), name!])
    }
    expect(byRun.size).toBe(runs)
    for (const names of byRun.values()) {
      expect(names.slice(0, -2).sort()).toEqual(['left', 'middle', 'right'])
      // The parallel step completes after its branches, and the run after its parallel step.
      expect(names.slice(-2)).toEqual(['fan', 'end'])
    }
  })
})
