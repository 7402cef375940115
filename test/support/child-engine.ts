import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { TestEngine } from './engine.js'
import type { WorkerConfig } from './reliability-worker.js'
import { DATABASE_URL, MODE, REDIS_URL } from './services.js'

export type { WorkerConfig } from './reliability-worker.js'

const SCRIPT = fileURLToPath(new URL('./reliability-worker.ts', import.meta.url))

/** An engine in a child process (`node --import tsx test/support/reliability-worker.ts`). */
export interface ChildEngine {
  pid: number
  process: ChildProcess
  /** Every JSON event the child printed so far. */
  events: Record<string, unknown>[]
  waitFor(event: string, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string | null>
  kill(signal: NodeJS.Signals): void
  /** Asks for a graceful engine.stop(). */
  stop(): void
  /** The last 8 kB the child wrote to stderr. */
  stderrText(): string
}

export async function startChildEngine(config: WorkerConfig, options: { actions?: string[] } = {}): Promise<ChildEngine> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, PULSE_WORKER: JSON.stringify(config), ...(options.actions ? { PULSE_WORKER_ACTIONS: options.actions.join(',') } : {}) },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const events: Record<string, unknown>[] = []
  const waiters: { event: string; resolve: (e: Record<string, unknown>) => void }[] = []
  let stderr = ''
  let buffer = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      try {
        const event = JSON.parse(line) as Record<string, unknown>
        events.push(event)
        for (const w of waiters.filter((x) => x.event === event.event)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(event)
        }
      } catch {
        // not one of ours
      }
    }
  })
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)))
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  const handle: ChildEngine = {
    pid: child.pid!,
    process: child,
    events,
    exited,
    waitFor(event, timeoutMs = 30_000) {
      const seen = events.find((e) => e.event === event)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child engine ${child.pid} did not report "${event}" within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs)
        void exited.then((code) => {
          clearTimeout(timer)
          if (!events.find((e) => e.event === event)) reject(new Error(`child engine ${child.pid} exited (${code}) before "${event}"; stderr:\n${stderr}`))
        })
        waiters.push({
          event,
          resolve: (e) => {
            clearTimeout(timer)
            resolve(e)
          },
        })
      })
    },
    kill: (signal) => child.kill(signal),
    stop: () => child.stdin!.write('stop\n'),
    stderrText: () => stderr,
  }
  await handle.waitFor('ready', 60_000)
  return handle
}

/**
 * An engine in a child process on a test engine's tables and queue, in the current test mode
 * (the embedded one reached through the test engine's loopback server), so it can be SIGKILLed.
 */
export async function startChildEngineFor(
  test: Pick<TestEngine, 'engine' | 'tablePrefix' | 'queuePrefix'>,
  extra: Partial<WorkerConfig>,
  actions: string[],
): Promise<ChildEngine> {
  const base = { tablePrefix: test.tablePrefix, queuePrefix: test.queuePrefix, ...extra }
  if (MODE === 'redis') return startChildEngine({ ...base, databaseUrl: DATABASE_URL, redisUrl: REDIS_URL }, { actions })
  if (MODE === 'postgres') return startChildEngine({ ...base, databaseUrl: DATABASE_URL }, { actions })
  const url = (await test.engine.info()).databaseUrl!
  return startChildEngine({ ...base, databaseUrl: url, queueConnection: url, queuePollMs: 50, preparedStatements: false }, { actions })
}

/**
 * After a test with a child engine: kills it if it still runs, drops the tables the reliability
 * worker writes its executions and hooks to, and closes the test engine.
 */
export async function closeChildAndEngine(child: ChildEngine | undefined, t: { pool: { query(sql: string): Promise<unknown> }; tablePrefix: string; close(): Promise<void> } | undefined): Promise<void> {
  child?.kill('SIGKILL')
  await child?.exited
  if (t) await t.pool.query(`DROP TABLE IF EXISTS "${t.tablePrefix}executions", "${t.tablePrefix}hooks"`).catch(() => undefined)
  await t?.close()
}
