import type { Job, Queue, QueueOptions, Worker, WorkerOptions } from 'bullmq'
import type { Redis } from 'ioredis'

/**
 * Where BullMQ keeps its jobs. The engine's runtime never sees this: it talks to a StepQueue and
 * a CronQueue, and only these factories know whether Redis or Postgres is underneath.
 */
export type QueueBackend =
  | { kind: 'redis'; redis: Redis }
  | {
      kind: 'postgres'
      /** A connection string or pg pool config; BullMQ makes its own small pools from it. */
      connection: string | Record<string, unknown>
      /** The schema BullMQ's tables live in. */
      schema: string
      /**
       * Embedded Postgres (PGlite) delivers no NOTIFY across connections, so workers there
       * poll for new jobs at this interval (seconds) instead of waiting for a wake-up.
       */
      pollSeconds?: number
    }

/** Resolves the backend when it is first needed (the embedded database starts lazily). */
export type BackendSource = () => Promise<QueueBackend>

/** The pieces both Queue and Worker need for a backend, plus the cleanup of what was opened. */
function connectionFor(backend: QueueBackend, role: 'queue' | 'worker') {
  if (backend.kind === 'redis') {
    // Our own connection: closing the engine never closes the application's client, and workers
    // get the `maxRetriesPerRequest: null` BullMQ requires.
    const connection = backend.redis.duplicate({ maxRetriesPerRequest: null })
    return {
      redis: connection,
      cleanup: async () => {
        await connection.quit().catch(() => undefined)
      },
    }
  }
  const base = typeof backend.connection === 'string' ? { connectionString: backend.connection } : backend.connection
  return {
    postgres: { ...base, schema: backend.schema, migrate: true, max: role === 'worker' ? 6 : 4 },
    cleanup: async () => undefined,
  }
}

/**
 * BullMQ is loaded when the first queue or worker opens: it is the largest part of the engine's
 * start-up, and an engine that only reads (the CLI's \`pulse runs\`) never needs it.
 */
const loadBullmq = () => import('bullmq')

/** Opens a BullMQ Queue on a backend; returns it with the cleanup of the connection it made. */
export async function openQueue<D>(
  backend: QueueBackend,
  name: string,
  queuePrefix: string,
  options: Omit<QueueOptions, 'connection' | 'prefix'>,
): Promise<{ queue: Queue<D>; cleanup: () => Promise<void> }> {
  const { Queue, createPostgresBackend } = await loadBullmq()
  const c = connectionFor(backend, 'queue')
  const queue = c.redis
    ? new Queue(name, { ...options, connection: c.redis, prefix: queuePrefix })
    : new Queue(name, { ...options, connection: c.postgres! }, createPostgresBackend)
  // Connection errors surface through the engine's own calls; without a listener BullMQ prints them.
  queue.on('error', () => undefined)
  return { queue: queue as unknown as Queue<D>, cleanup: c.cleanup }
}

/** Opens a BullMQ Worker on a backend. */
export async function openWorker<D>(
  backend: QueueBackend,
  name: string,
  queuePrefix: string,
  processor: (job: Job<D>) => Promise<void>,
  options: Omit<WorkerOptions, 'connection' | 'prefix'>,
): Promise<{ worker: Worker<D>; cleanup: () => Promise<void> }> {
  const { Worker, createPostgresBackend } = await loadBullmq()
  const c = connectionFor(backend, 'worker')
  const run = processor as (job: Job) => Promise<void>
  const poll = backend.kind === 'postgres' && backend.pollSeconds !== undefined ? { drainDelay: backend.pollSeconds } : {}
  const worker = c.redis
    ? new Worker(name, run, { ...options, connection: c.redis, prefix: queuePrefix })
    : new Worker(name, run, { ...options, ...poll, connection: c.postgres! }, createPostgresBackend)
  if (backend.kind === 'postgres' && backend.pollSeconds !== undefined) capBlocking(worker, backend.pollSeconds)
  // A Worker without an error listener prints to the console; the engine reports failures itself.
  worker.on('error', () => undefined)
  return { worker: worker as unknown as Worker<D>, cleanup: c.cleanup }
}

/**
 * With a delayed job pending, a BullMQ worker on Postgres blocks until that job is due (up to an
 * hour) and counts on NOTIFY to wake it for new jobs. Where notifications do not arrive (PGlite,
 * PgBouncer in transaction mode), a job added meanwhile would wait behind the delay, so the block
 * is capped at the poll interval.
 */
function capBlocking(worker: object, seconds: number): void {
  Object.defineProperty(worker, 'maximumBlockTimeout', { get: () => seconds, configurable: true })
}

/** Closes a queue opened on first use, if it was; a queue that failed to open is left alone. */
export async function closeOpened(opening: Promise<{ queue: { close(): Promise<void> }; cleanup: () => Promise<void> }> | undefined): Promise<void> {
  const opened = await opening?.catch(() => undefined)
  if (!opened) return
  await opened.queue.close()
  await opened.cleanup()
}
