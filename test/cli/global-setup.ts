import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { DATABASE_URL } from '../support/services.js'

/**
 * The CLI tests run the real `pulse` binary, so the package is built here unless dist is newer than
 * its sources. Postgres is checked as in test/support/global-setup.ts: required in CI, reported
 * loudly and skipped elsewhere.
 */
export default async function setup(): Promise<void> {
  const root = resolve(import.meta.dirname, '../..')
  // `npm test` has just built it: building again would hold up every test of the run for as long.
  if (!builtSinceLastChange(root)) execFileSync('npx', ['tsup'], { cwd: root, stdio: 'pipe' })
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

/** Whether every file the build reads is older than the oldest file it writes. */
function builtSinceLastChange(root: string): boolean {
  const outputs = ['dist/cli.js', 'dist/index.js', 'dist/index.cjs', 'dist/testing.js', 'dist/dashboard.js'].map((f) => resolve(root, f))
  if (!outputs.every((f) => existsSync(f))) return false
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs))
  const inputs = [resolve(root, 'tsup.config.ts'), resolve(root, 'package.json'), ...filesUnder(resolve(root, 'src'))]
  return inputs.every((f) => statSync(f).mtimeMs < built)
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
}
