import { trigger, workflow } from '../../src/index.js'
import { benchEngine, sleep } from '../support.js'

export interface MemoryResult {
  runs: number
  baselineMb: number
  waitingMb: number
  afterMb: number
}

const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024)

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.()
    await sleep(200)
  }
}

/** Engine RSS with `runs` runs waiting in a delay, and again after they all complete. */
export async function memoryWithDelayedRuns(runs: number, delayMs: number): Promise<MemoryResult> {
  const tick = trigger('bench.memory', { source: 'bench' })
  const wf = workflow('delayed').on(tick).delay(delayMs, { name: 'wait' }).do('after', () => undefined)
  let completed = 0
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => (resolveDone = resolve))
  const b = await benchEngine('redis', {
    concurrency: 50,
    onRunComplete: () => {
      if (++completed === runs) resolveDone()
    },
  })
  try {
    b.engine.register(wf)
    await b.engine.sync({ tenantId: 'bench', workflows: [wf] })
    await b.engine.start()
    await settle()
    const baselineMb = rssMb()
    for (let i = 0; i < runs; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, runs - i) }, () => b.engine.emit(tick, { tenantId: 'bench', payload: {} })))
    }
    await settle()
    const waitingMb = rssMb()
    await done
    await settle()
    return { runs, baselineMb, waitingMb, afterMb: rssMb() }
  } finally {
    await b.close()
  }
}
