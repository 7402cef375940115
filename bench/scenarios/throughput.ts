import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { trigger, workflow } from '../../src/index.js'
import { benchEngine, REDIS_URL, round, type Mode } from '../support.js'

export interface ThroughputResult {
  mode: Mode | 'raw-bullmq'
  runs: number
  stepsPerRun: number
  concurrency: number
  seconds: number
  stepsPerSecond: number
}

/** `runs` runs of `steps` trivial actions, all emitted at once, executed with the given concurrency. */
export async function engineThroughput(mode: Mode, runs: number, steps: number, concurrency: number): Promise<ThroughputResult> {
  const tick = trigger('bench.tick', { source: 'bench' })
  let chain = workflow('chain').on(tick).do('s0', () => undefined)
  for (let i = 1; i < steps; i++) chain = chain.do(`s${i}`, () => undefined)
  let completed = 0
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => (resolveDone = resolve))
  const b = await benchEngine(mode, {
    concurrency,
    onRunComplete: () => {
      if (++completed === runs) resolveDone()
    },
  })
  try {
    b.engine.register(chain)
    await b.engine.sync({ tenantId: 'bench', workflows: [chain] })
    await b.engine.start()
    const started = performance.now()
    const emits: Promise<unknown>[] = []
    for (let i = 0; i < runs; i++) emits.push(b.engine.emit(tick, { tenantId: 'bench', payload: {} }))
    await Promise.all(emits)
    await done
    const seconds = (performance.now() - started) / 1000
    return { mode, runs, stepsPerRun: steps, concurrency, seconds: round(seconds, 2), stepsPerSecond: Math.round((runs * steps) / seconds) }
  } finally {
    await b.close()
  }
}

/** The same workload as a bare BullMQ chain: each job adds the next, nothing is persisted. */
export async function rawBullmqThroughput(runs: number, steps: number, concurrency: number): Promise<ThroughputResult> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
  const prefix = `rawbench${Date.now().toString(36)}`
  const queue = new Queue('chain', { connection, prefix, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } })
  let finished = 0
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => (resolveDone = resolve))
  const worker = new Worker(
    'chain',
    async (job) => {
      const { run, step } = job.data as { run: number; step: number }
      if (step + 1 < steps) await queue.add('step', { run, step: step + 1 })
      else if (++finished === runs) resolveDone()
    },
    { connection: connection.duplicate({ maxRetriesPerRequest: null }), prefix, concurrency },
  )
  await worker.waitUntilReady()
  const started = performance.now()
  await queue.addBulk(Array.from({ length: runs }, (_, run) => ({ name: 'step', data: { run, step: 0 } })))
  await done
  const seconds = (performance.now() - started) / 1000
  await worker.close()
  await queue.obliterate({ force: true }).catch(() => undefined)
  await queue.close()
  connection.disconnect()
  return { mode: 'raw-bullmq', runs, stepsPerRun: steps, concurrency, seconds: round(seconds, 2), stepsPerSecond: Math.round((runs * steps) / seconds) }
}
