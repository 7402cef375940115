import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort, sleep } from './ports.js'

/**
 * A Postgres cluster of its own, made with initdb in a temp dir and served on a free loopback
 * port, for tests that terminate backends or restart the server. Runs as the `postgres` OS user
 * when the tests run as root (Postgres refuses to run as root).
 */
export interface ThrowawayPostgres {
  port: number
  url: string
  /** Terminates every client backend except the caller's. Returns how many were terminated. */
  terminateBackends(): Promise<number>
  /** Stops the server (fast shutdown: open connections are cut), waits `downMs`, starts it again. */
  restart(options?: { downMs?: number }): Promise<void>
  stopServer(): Promise<void>
  startServer(): Promise<void>
  /** Stops the server and deletes the cluster. */
  destroy(): Promise<void>
}

function binDir(): string {
  const fromEnv = process.env.PULSE_TEST_PG_BIN
  if (fromEnv) return fromEnv
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(root, versions[0], 'bin')
  }
  return ''
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = binDir()
  const tool = (name: string) => (bin ? join(bin, name) : name)
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'pulse-pg-'))
  const dataDir = join(dir, 'data')
  const socketDir = join(dir, 'socket')
  const asRoot = process.getuid?.() === 0
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
    const result = spawnSync(file, argv, { encoding: 'utf8' })
    if (result.status !== 0) {
      throw new Error(
        `throwaway Postgres: \`${cmd} ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}\n` +
          'Install the Postgres server binaries (PULSE_TEST_PG_BIN may point at their bin dir); as root, a "postgres" OS user is needed.',
      )
    }
    return result.stdout
  }
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
    chmodSync(dir, 0o700)
  }
  run(tool('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'])
  run('mkdir', ['-p', socketDir])
  const options = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`

  const waitReady = async () => {
    const deadline = Date.now() + 20_000
    for (;;) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
      client.on('error', () => undefined)
      try {
        await client.connect()
        await client.query('SELECT 1')
        await client.end()
        return
      } catch {
        await client.end().catch(() => undefined)
      }
      if (Date.now() > deadline) throw new Error(`throwaway Postgres on port ${port} did not accept connections within 20 s (log: ${join(dir, 'log')})`)
      await sleep(100)
    }
  }
  const startServer = async () => {
    run(tool('pg_ctl'), ['-D', dataDir, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '20', 'start'])
    await waitReady()
  }
  const stopServer = async () => {
    run(tool('pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '20', 'stop'])
  }
  await startServer()

  return {
    port,
    url,
    async terminateBackends() {
      const client = new pg.Client({ connectionString: url })
      client.on('error', () => undefined)
      await client.connect()
      try {
        const { rows } = await client.query(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
           WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        )
        return rows[0].n as number
      } finally {
        await client.end().catch(() => undefined)
      }
    },
    async restart(opts = {}) {
      await stopServer()
      if (opts.downMs) await sleep(opts.downMs)
      await startServer()
    },
    stopServer,
    startServer,
    async destroy() {
      try {
        await stopServer()
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
