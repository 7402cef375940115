import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { round } from '../numbers.js'
import { REDIS_URL } from '../services.js'
import type { ThroughputResult } from './throughput.js'

/**
 * The engine's throughput workload as a bare BullMQ chain: each job adds the next, nothing is
 * persisted. It imports no engine module, so its process holds nothing but BullMQ.
 */
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
