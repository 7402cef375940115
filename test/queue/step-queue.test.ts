import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { openQueue, type QueueBackend } from '../../src/queue/backend.js'
import { bundleSize, createStepQueue, type StepJob, type StepJobData, type StepQueue } from '../../src/queue/step-queue.js'
import { DATABASE_URL, MODE, REDIS_URL, servicesMissing } from '../support/services.js'
import { eventually, sleep } from '../support/engine.js'

// The step queue against the real backend of this project's mode: Redis, or BullMQ's Postgres backend.
const missing = servicesMissing()

describe.skipIf(missing !== undefined || MODE === 'embedded')('step queue', () => {
  const opened: { close(): Promise<void> }[] = []
  const redis = MODE === 'redis' ? new Redis(REDIS_URL, { maxRetriesPerRequest: null }) : undefined
  const backend: QueueBackend = redis ? { kind: 'redis', redis } : { kind: 'postgres', connection: DATABASE_URL, schema: 'pulse_queue_test' }

  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close()
  })

  async function setup() {
    const queuePrefix = `sq${randomBytes(4).toString('hex')}`
    const queue = createStepQueue({ backend: async () => backend, queuePrefix })
    const peek = await openQueue(backend, `${queuePrefix}-steps`, queuePrefix, {})
    opened.push(queue, { close: async () => (await peek.queue.close(), await peek.cleanup()) })
    const jobsInQueue = async () => {
      const counts = await peek.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')
      return Object.values(counts).reduce((a, b) => a + b, 0)
    }
    return { queue, jobsInQueue }
  }

  const jobs = (n: number, delayMs = 0): StepJob[] =>
    Array.from({ length: n }, (_, i) => ({ stepRunId: `stp_${i}`, runId: `run_${i}`, tenantId: 't', fence: 1, delayMs }))

  /** A processor that holds every step until release() and records what it was given. */
  function gatedProcessor(queue: StepQueue) {
    const seen: StepJobData[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const start = (concurrency: number) =>
      queue.startWorker(async (job) => {
        seen.push(job)
        await gate
      }, concurrency)
    return { seen, start, release: () => release() }
  }

  /** A fresh burst of `n` steps for a worker with `slots` slots, held until release(). */
  async function heldBurst(slots: number, n: number) {
    const { queue, jobsInQueue } = await setup()
    const p = gatedProcessor(queue)
    await p.start(slots)
    await queue.enqueue(jobs(n), { fresh: true })
    await eventually(() => p.seen.length === slots || undefined, 10_000, 'every slot busy')
    return { queue, jobsInQueue, p }
  }

  it('sizes bundles so there are never fewer of them than worker slots', () => {
    expect(bundleSize(38, 0)).toBe(1)
    expect(bundleSize(49, 50)).toBe(1)
    expect(bundleSize(200, 50)).toBe(4)
    expect(bundleSize(10_000, 50)).toBe(10)
  })

  it('carries a burst of due steps in fewer jobs, and runs every step of each', async () => {
    // 40 steps for 2 slots: bundles of 10, two of them taken and two waiting.
    const { jobsInQueue, p } = await heldBurst(2, 40)
    expect(await jobsInQueue()).toBe(4)
    p.release()
    await eventually(() => p.seen.length === 40 || undefined, 15_000, 'every step processed')
    expect(new Set(p.seen.map((j) => j.stepRunId)).size).toBe(40)
    expect(p.seen[0]).toEqual({ stepRunId: expect.stringMatching(/^stp_/), runId: expect.stringMatching(/^run_/), tenantId: 't', fence: 1 })
  })

  it('delivers a step again as one deduplicated job, never as another bundle', async () => {
    const { queue, jobsInQueue, p } = await heldBurst(1, 20)
    expect(await jobsInQueue()).toBe(2)
    // The reconciler enqueues every step that has waited too long, on each pass.
    for (let pass = 0; pass < 3; pass++) await queue.enqueue(jobs(20))
    expect(await jobsInQueue()).toBe(2 + 20)
    p.release()
    await eventually(() => (p.seen.length >= 40 ? true : undefined), 15_000, 'every delivery processed')
    expect(new Set(p.seen.map((j) => j.stepRunId)).size).toBe(20)
  })

  it('keeps one job per step when the steps are delayed, or when this process runs no worker', async () => {
    const { queue, jobsInQueue } = await setup()
    await queue.enqueue(jobs(30), { fresh: true })
    expect(await jobsInQueue()).toBe(30)
    const other = await setup()
    const p = gatedProcessor(other.queue)
    await p.start(1)
    await other.queue.enqueue(jobs(30, 60_000), { fresh: true })
    expect(await other.jobsInQueue()).toBe(30)
    p.release()
  })

  it('hands the rest of a bundle back as single jobs once it has held its slot too long', async () => {
    const { queue, jobsInQueue } = await setup()
    const seen: string[] = []
    await queue.startWorker(async (job) => {
      seen.push(job.stepRunId)
      if (seen.length === 1) await sleep(1_200)
      else await sleep(5_000)
    }, 1)
    await queue.enqueue(jobs(10), { fresh: true })
    // One bundle of 10; after its slow first step the other 9 wait as their own jobs.
    await eventually(async () => (seen.length === 2 ? await jobsInQueue() : undefined), 10_000, 'the second step started')
    expect(await jobsInQueue()).toBe(9)
    expect(seen[1]).toBe('stp_1')
  })

  it('hands the rest of a bundle back when one of its steps throws, and that step runs again', async () => {
    const { queue } = await setup()
    const seen: string[] = []
    let failed = false
    await queue.startWorker(async (job) => {
      seen.push(job.stepRunId)
      if (job.stepRunId === 'stp_3' && !failed) {
        failed = true
        throw new Error('database unavailable')
      }
    }, 1)
    await queue.enqueue(jobs(10), { fresh: true })
    await eventually(() => (new Set(seen).size === 10 ? true : undefined), 10_000, 'every step processed')
    expect(seen.filter((id) => id === 'stp_3')).toHaveLength(2)
    expect(seen.filter((id) => id === 'stp_4')).toHaveLength(1)
  })
})
