import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import pg from 'pg'
import { DATABASE_URL } from '../support/services.js'

/**
 * The CLI tests run the real `pulse` binary, so the package is built once here. Postgres is
 * checked as in test/support/global-setup.ts: required in CI, reported loudly and skipped elsewhere.
 */
export default async function setup(): Promise<void> {
  const root = resolve(import.meta.dirname, '../..')
  execFileSync('npx', ['tsup'], { cwd: root, stdio: 'pipe' })
  if (!existsSync(resolve(root, 'dist/cli.js'))) throw new Error('npx tsup did not produce dist/cli.js')

  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 3000 })
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    const message = `\n${'*'.repeat(78)}\npulse CLI tests cannot reach Postgres at ${DATABASE_URL}: ${(err as Error).message}\nThe Postgres CLI tests are skipped. Set PULSE_TEST_DATABASE_URL or start Postgres.\n${'*'.repeat(78)}\n`
    if (process.env.CI) throw new Error(message)
    console.warn(message)
    process.env.PULSE_CLI_POSTGRES_MISSING = (err as Error).message || 'unreachable'
  } finally {
    await pool.end()
  }
}
