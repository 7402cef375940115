import { describe, expect, it } from 'vitest'
import { createBatcher } from '../../src/store/group-commit.js'

/** A statement runner whose calls stay open until the test ends them. */
function gatedRunner() {
  const calls: { requests: number[]; finish: () => void; fail: (err: Error) => void }[] = []
  const run = (requests: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({ requests, finish: () => resolve(requests.map((r) => r * 10)), fail: reject })
    })
  return { calls, run }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('group commit', () => {
  it('sends a lone request at once', async () => {
    const { calls, run } = gatedRunner()
    const batcher = createBatcher(run)
    const result = batcher.submit(1)
    expect(calls.map((c) => c.requests)).toEqual([[1]])
    calls[0]!.finish()
    await expect(result).resolves.toBe(10)
  })

  it('with gather, lets the requests of the same turn join the first statement, and the ones its results set off the next', async () => {
    const { calls, run } = gatedRunner()
    const batcher = createBatcher(run, { inFlight: 1, gather: true })
    const first = batcher.submit(1)
    // A request made by code that runs after the first one (a continuation), before the event loop turns.
    const second = Promise.resolve().then(() => batcher.submit(2))
    expect(calls).toEqual([])
    await tick()
    expect(calls.map((c) => c.requests)).toEqual([[1, 2]])
    // Each result sets off a follow-up request, as a finished step asks to record the next one.
    const followUps = [first, second].map((p) => p.then((r) => batcher.submit(r + 1)))
    calls[0]!.finish()
    await tick()
    await tick()
    expect(calls.map((c) => c.requests)).toEqual([[1, 2], [11, 21]])
    calls[1]!.finish()
    await expect(Promise.all(followUps)).resolves.toEqual([110, 210])
  })

  it('gathers the requests that arrive while a statement is in flight into the next one', async () => {
    const { calls, run } = gatedRunner()
    const batcher = createBatcher(run, { busyMin: 16, stallMs: 60_000 })
    const results = [1, 2, 3, 4].map((n) => batcher.submit(n))
    expect(calls.map((c) => c.requests)).toEqual([[1]])
    calls[0]!.finish()
    await tick()
    expect(calls.map((c) => c.requests)).toEqual([[1], [2, 3, 4]])
    calls[1]!.finish()
    await expect(Promise.all(results)).resolves.toEqual([10, 20, 30, 40])
  })

  it('starts a second statement once enough requests wait, and no more than inFlight', async () => {
    const { calls, run } = gatedRunner()
    const batcher = createBatcher(run, { busyMin: 3, inFlight: 2, stallMs: 60_000 })
    for (let n = 1; n <= 8; n++) void batcher.submit(n)
    expect(calls.map((c) => c.requests)).toEqual([[1], [2, 3, 4]])
    calls[0]!.finish()
    await tick()
    expect(calls.map((c) => c.requests)).toEqual([[1], [2, 3, 4], [5, 6, 7, 8]])
  })

  it('lets the waiting requests go once the statement in flight looks stuck', async () => {
    const { calls, run } = gatedRunner()
    const batcher = createBatcher(run, { busyMin: 16, stallMs: 30 })
    void batcher.submit(1)
    void batcher.submit(2)
    void batcher.submit(3)
    expect(calls.map((c) => c.requests)).toEqual([[1]])
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(calls.map((c) => c.requests)).toEqual([[1], [2, 3]])
  })

  it('never puts two requests with the same key in one batch, and caps the batch size', async () => {
    const { calls, run } = gatedRunner()
    const batcher = createBatcher(run, { key: (n) => String(n % 3), maxBatch: 2, inFlight: 1, stallMs: 60_000 })
    for (const n of [0, 1, 3, 4, 5, 6]) void batcher.submit(n)
    calls[0]!.finish()
    await tick()
    calls[1]!.finish()
    await tick()
    calls[2]!.finish()
    await tick()
    calls[3]!.finish()
    await tick()
    expect(calls.map((c) => c.requests)).toEqual([[0], [1, 3], [4, 5], [6]])
  })

  it('rejects every request of a failed statement and carries on with the next batch', async () => {
    const { calls, run } = gatedRunner()
    const batcher = createBatcher(run, { stallMs: 60_000 })
    const first = batcher.submit(1)
    const second = batcher.submit(2)
    const third = batcher.submit(3)
    calls[0]!.finish()
    await tick()
    calls[1]!.fail(new Error('connection lost'))
    await expect(second).rejects.toThrow('connection lost')
    await expect(third).rejects.toThrow('connection lost')
    await expect(first).resolves.toBe(10)
    const fourth = batcher.submit(4)
    await tick()
    calls[2]!.finish()
    await expect(fourth).resolves.toBe(40)
  })
})
