import { randomUUID } from 'node:crypto'
import type { Queue, Worker } from 'bullmq'
import { closeOpened, openQueue, openWorker, type BackendSource } from './backend.js'

/** What a step job carries: enough to claim the step; everything else is read from Postgres. */
export interface StepJobData {
  stepRunId: string
  runId: string
  tenantId: string
}

export interface StepJob extends StepJobData {
  /** The step's fence when the job is made; part of the job id so one claim gets one job. */
  fence: number
  delayMs?: number
  /**
   * Order among the queue's new work: lower goes first, and a job without one goes before every
   * job with one (BullMQ's rule), so steps of runs in progress pass first steps of new ones.
   */
  priority?: number
}

/** Delivers step jobs to workers. Postgres holds the state; this only says "look at step X now". */
export interface StepQueue {
  /**
   * Adds jobs. `fresh` marks steps that were just created (the first steps of new runs): a burst
   * of those may travel in bundles. Everything else, re-deliveries above all, goes one job per
   * step under an id made from the step and its fence, so it is never duplicated.
   */
  enqueue(jobs: StepJob[], options?: { fresh?: boolean }): Promise<void>
  /** The lowest priority among waiting jobs, or undefined when none with a priority waits. */
  front(): Promise<number | undefined>
  /** Removes queued jobs that have not started (best effort: a job already taken is left to its claim CAS). */
  remove(jobs: Pick<StepJob, 'stepRunId' | 'fence'>[]): Promise<void>
  /**
   * `lockMs`: how long a job taken by this worker stays locked without renewal before BullMQ
   * hands it to another worker (BullMQ's lockDuration and stalledInterval; default 30 s).
   */
  startWorker(processor: (job: StepJobData) => Promise<void>, concurrency: number, options?: { lockMs?: number }): Promise<void>
  /**
   * Makes the jobs of these steps runnable now: a delayed job is promoted, a missing one added
   * (the testing kit, as its virtual clock reaches the steps' due times).
   */
  promote(jobs: Omit<StepJob, 'delayMs'>[]): Promise<void>
  /** How many jobs wait for a worker or are being worked on (delayed ones not counted). */
  countUnfinished(): Promise<number>
  /** Stops fetching new jobs; waits for active ones unless `force`. */
  stopWorker(force: boolean): Promise<void>
  close(): Promise<void>
}

/** A job is one step, or several due steps that one worker slot takes one after another. */
type QueuedData = StepJobData | { bundle: (StepJobData & { fence: number; priority?: number })[] }

/** Most steps one job carries. */
const MAX_BUNDLE = 10

/** How long a bundle may hold its slot before handing its remaining steps back as single jobs. */
const BUNDLE_BUDGET_MS = 1000

/**
 * How many due steps share one job. A burst much larger than this process's worker slots would
 * otherwise cost a queue round trip per step; since the steps of a bundle run one after another in
 * one slot, bundles form only when there are at least as many of them as slots.
 */
export function bundleSize(jobs: number, concurrency: number): number {
  if (concurrency <= 0) return 1
  return Math.max(1, Math.min(MAX_BUNDLE, Math.floor(jobs / concurrency)))
}

/** BullMQ job ids may not contain ":"; ours are `<stepRunId>-<fence>`. */
export function stepJobId(job: Pick<StepJob, 'stepRunId' | 'fence'>): string {
  return `${job.stepRunId}-${job.fence}`
}

/**
 * The step queue on BullMQ, on whichever backend the engine was configured with. The queue is
 * opened on first use, so an engine that only migrates or reads opens no queue connection.
 */
export function createStepQueue(options: { backend: BackendSource; queuePrefix: string }): StepQueue {
  const name = `${options.queuePrefix}-steps`
  let queue: Promise<{ queue: Queue<QueuedData>; cleanup: () => Promise<void> }> | undefined
  let worker: { worker: Worker<QueuedData>; cleanup: () => Promise<void> } | undefined

  const getQueue = async () => {
    queue ??= options.backend().then((backend) =>
      openQueue<QueuedData>(backend, name, options.queuePrefix, {
        defaultJobOptions: {
          // Finished jobs are removed so the reconciler can add the same job id again later.
          removeOnComplete: true,
          removeOnFail: true,
          attempts: 5,
          backoff: { type: 'exponential', delay: 500 },
        },
      }),
    )
    return (await queue).queue
  }

  let pending: { job: StepJob; fresh: boolean }[] = []
  let flushing: Promise<void> | undefined
  // Set while this process runs a worker: how many jobs it takes at once.
  let workerConcurrency = 0
  const single = (job: StepJob) => ({
    name: 'step',
    data: { stepRunId: job.stepRunId, runId: job.runId, tenantId: job.tenantId } as QueuedData,
    opts: {
      jobId: stepJobId(job),
      ...(job.delayMs && job.delayMs > 0 ? { delay: Math.ceil(job.delayMs) } : {}),
      ...(job.priority ? { priority: job.priority } : {}),
    },
  })
  const addBulk = async (batch: { job: StepJob; fresh: boolean }[]) => {
    const q = await getQueue()
    const due: StepJob[] = []
    const entries: ReturnType<typeof single>[] = []
    for (const { job, fresh } of batch) {
      if (fresh && !(job.delayMs && job.delayMs > 0)) due.push(job)
      else entries.push(single(job))
    }
    const size = bundleSize(due.length, workerConcurrency)
    if (size === 1) return void (await q.addBulk([...entries, ...due.map(single)]))
    // A bundle holds steps of one tenant only, and goes at the priority of its first step.
    const byTenant = new Map<string, StepJob[]>()
    for (const job of due) {
      const jobs = byTenant.get(job.tenantId)
      if (jobs) jobs.push(job)
      else byTenant.set(job.tenantId, [job])
    }
    for (const jobs of byTenant.values()) {
      for (let i = 0; i < jobs.length; i += size) {
        const part = jobs.slice(i, i + size)
        if (part.length === 1) {
          entries.push(single(part[0]!))
          continue
        }
        entries.push({
          name: 'steps',
          // Each step keeps its priority, so the ones a bundle hands back keep their place (see runBundle).
          data: { bundle: part.map((job) => ({ stepRunId: job.stepRunId, runId: job.runId, tenantId: job.tenantId, fence: job.fence, ...(job.priority ? { priority: job.priority } : {}) })) },
          // A fresh step is enqueued once, so a bundle needs no deduplication: only a unique id.
          opts: { jobId: `bundle-${randomUUID()}`, ...(part[0]!.priority ? { priority: part[0]!.priority } : {}) },
        })
      }
    }
    await q.addBulk(entries)
  }

  return {
    async enqueue(jobs, options = {}) {
      if (jobs.length === 0) return
      // Jobs enqueued by concurrent callers in the same turn of the event loop share one addBulk.
      for (const job of jobs) pending.push({ job, fresh: options.fresh === true })
      flushing ??= new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          const batch = pending
          pending = []
          flushing = undefined
          addBulk(batch).then(resolve, reject)
        })
      })
      await flushing
    },
    async front() {
      const [first] = await (await getQueue()).getPrioritized(0, 0)
      return first?.priority || undefined
    },
    async remove(jobs) {
      const q = await getQueue()
      await Promise.all(jobs.map((job) => q.remove(stepJobId(job)).catch(() => 0)))
    },
    async promote(jobs) {
      if (jobs.length === 0) return
      const q = await getQueue()
      const missing: StepJob[] = []
      for (const job of jobs) {
        const found = await q.getJob(stepJobId(job))
        if (!found) missing.push(job)
        // A job no longer delayed (taken by a worker, promoted meanwhile) refuses: the claim decides.
        else await found.promote().catch(() => undefined)
      }
      if (missing.length > 0) await q.addBulk(missing.map(single))
    },
    async countUnfinished() {
      const counts = await (await getQueue()).getJobCounts('waiting', 'prioritized', 'active')
      return Object.values(counts).reduce((sum, n) => sum + n, 0)
    },
    async startWorker(processor, concurrency, workerOptions = {}) {
      if (worker) return
      const runBundle = async (bundle: (StepJobData & { fence: number; priority?: number })[]) => {
        const started = Date.now()
        for (let i = 0; i < bundle.length; i++) {
          // A bundle must not keep its later steps waiting behind slow handlers, nor take them
          // down with a failing one: past its budget, or on an error, the rest go back as single
          // jobs (a step whose claim already moved on is skipped by the claim itself).
          if (i > 0 && Date.now() - started > BUNDLE_BUDGET_MS) return requeue(bundle.slice(i))
          try {
            await processor(bundle[i]!)
          } catch (err) {
            // If even that fails, the whole bundle is retried by the queue.
            return requeue(bundle.slice(i)).catch(() => {
              throw err
            })
          }
        }
      }
      const requeue = async (steps: StepJob[]) => void (await (await getQueue()).addBulk(steps.map(single)))
      const run = (data: QueuedData) => ('bundle' in data ? runBundle(data.bundle) : processor(data))
      worker = await openWorker<QueuedData>(await options.backend(), name, options.queuePrefix, (job) => run(job.data), {
        concurrency,
        ...(workerOptions.lockMs ? { lockDuration: workerOptions.lockMs, stalledInterval: workerOptions.lockMs } : {}),
      })
      workerConcurrency = concurrency
      await worker.worker.waitUntilReady()
    },
    async stopWorker(force) {
      const w = worker
      worker = undefined
      workerConcurrency = 0
      if (!w) return
      await w.worker.close(force)
      await w.cleanup()
    },
    async close() {
      await this.stopWorker(true)
      const opening = queue
      queue = undefined
      await closeOpened(opening)
    },
  }
}
