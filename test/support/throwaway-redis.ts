import { spawn, type ChildProcess } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort, sleep } from './ports.js'

/**
 * A redis-server of its own on a free loopback port, for tests that flush, reconfigure or restart
 * Redis without touching the shared one. Nothing is persisted (`--save '' --appendonly no`).
 */
export interface ThrowawayRedis {
  port: number
  url: string
  /** A new client on this server (closed by `stop()`). */
  client(): Redis
  /** Stops the server process (SIGKILL: every key is lost) and starts a fresh one on the same port. */
  restart(options?: { downMs?: number }): Promise<void>
  stop(): Promise<void>
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort()
  const clients: Redis[] = []
  let proc: ChildProcess | undefined

  const launch = async () => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`could not start redis-server on port ${port} (is redis-server installed and on PATH?): ${err.message}`)))
      child.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with code ${code} before it answered:\n${output}`)))
    })
    failed.catch(() => undefined)
    const deadline = Date.now() + 10_000
    for (;;) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => undefined)
      const ok = await Promise.race([probe.connect().then(() => probe.ping()).then(() => true, () => false), failed])
      probe.disconnect()
      if (ok) break
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`redis-server on port ${port} did not answer within 10 s:\n${output}`)
      }
      await sleep(50)
    }
    proc = child
  }

  const kill = async () => {
    const child = proc
    proc = undefined
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  await launch()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client() {
      const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null })
      c.on('error', () => undefined)
      clients.push(c)
      return c
    },
    async restart(options = {}) {
      await kill()
      if (options.downMs) await sleep(options.downMs)
      await launch()
    },
    async stop() {
      for (const c of clients) c.disconnect()
      await kill()
    },
  }
}
