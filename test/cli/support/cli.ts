import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../../..')
export const CLI = join(ROOT, 'dist/cli.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** An environment without the parent's color and database settings, so tests see what a fresh shell would. */
function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of ['NO_COLOR', 'FORCE_COLOR', 'DATABASE_URL', 'REDIS_URL', 'CI', 'PULSE_DEBUG']) delete env[key]
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/** Runs `pulse <args>` as a separate process, the way a user's shell would. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return collect(spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cleanEnv(options.env ?? {}) }))
}

/** Runs a script with node (e.g. `['--import', 'tsx', 'app.ts']`), as the application itself would run. */
export function runNode(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return collect(spawn(process.execPath, args, { cwd: options.cwd, env: cleanEnv(options.env ?? {}) }))
}

function collect(proc: ChildProcess): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = ''
    let stderr = ''
    proc.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    proc.on('error', reject)
    proc.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

/** Drops the engine's tables of one test project and its BullMQ jobs in Postgres. */
export async function dropPostgresProject(pool: { query(text: string, values?: unknown[]): Promise<unknown> }, tablePrefix: string, queuePrefix: string): Promise<void> {
  const tables = ['execution_logs', 'workflow_step_runs', 'workflow_runs', 'workflow_definitions', 'triggers', 'migrations', 'workers', 'signal_waits', 'signal_listeners', 'signal_deliveries', 'idempotency_keys', 'skipped_starts']
  await pool.query(tables.map((t) => `DROP TABLE IF EXISTS "${tablePrefix}${t}" CASCADE`).join(';'))
  await pool.query(`DELETE FROM bullmq.job WHERE queue LIKE $1`, [`${queuePrefix}-%`]).catch(() => undefined)
}

/** Runs a command that must succeed and returns its stdout; a failure shows what the CLI printed. */
export async function ok(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<string> {
  const result = await runCli(args, options)
  if (result.code !== 0) throw new Error(`pulse ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return result.stdout
}

/** A long-running `pulse` process (pulse dev) whose output can be awaited line by line. */
export interface CliProcess {
  proc: ChildProcess
  output(): string
  /** Resolves when the output (from `from` on) matches; rejects with the output so far on timeout. */
  waitFor(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<RegExpMatchArray>
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export function startCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): CliProcess {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cleanEnv(options.env ?? {}) })
  let text = ''
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer) => {
    text += chunk.toString()
    for (const l of listeners) l()
  }
  proc.stdout!.on('data', append)
  proc.stderr!.on('data', append)
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)))
  return {
    proc,
    output: () => text,
    waitFor(pattern, { from = 0, timeoutMs = 30_000 } = {}) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const match = text.slice(from).match(pattern)
          if (!match) return false
          listeners.delete(check)
          clearTimeout(timer)
          resolvePromise(match)
          return true
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${text}`))
        }, timeoutMs)
        listeners.add(check)
        check()
      })
    },
    async stop(signal = 'SIGINT') {
      if (proc.exitCode === null) proc.kill(signal)
      return exited
    },
  }
}

/**
 * A project directory as a user would have it: pulse-engine (this checkout, built) and zod
 * installed in node_modules, plus the given files. `type: 'module'` makes .ts files ES modules;
 * without it tsx loads them as CommonJS, the other path the CLI must handle.
 */
export function makeProject(files: Record<string, string>, options: { type?: 'module' } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-cli-'))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules/pulse-engine'), 'dir')
  symlinkSync(join(ROOT, 'node_modules/zod'), join(dir, 'node_modules/zod'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, ...(options.type ? { type: options.type } : {}) }))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

/** Workflows that cover every step type, a failing action and a long delay. */
export const FIXTURE_WORKFLOWS = `import { z } from 'zod'
import { action, condition, trigger, workflow } from 'pulse-engine'

export const orderPlaced = trigger('order.placed', {
  source: 'shop',
  resourceType: 'order',
  payload: z.object({ total: z.number() }),
})

const chargeCard = orderPlaced.action('charge_card', async (ctx) => ({ success: true, data: { charged: ctx.trigger.payload.total } }), { replaySafe: true })
const isBigOrder = condition('is_big_order', async (ctx) => Number(ctx.trigger.payload.total) > 100)
const notifySales = action('notify_sales', () => undefined)
const sendEmail = action('send_email', () => undefined)
const postSlack = action('post_slack', () => undefined)

export const processOrder = workflow('process-order')
  .name('Process an order')
  .on(orderPlaced, { environment: 'production' })
  .do(chargeCard, { retry: { maxAttempts: 3, backoff: '5s' }, timeout: '30s' })
  .when(isBigOrder, { onFalse: 'skip' })
  .do(notifySales)
  .parallel('fan_out', (b) => b.do(sendEmail), (b) => b.delay('1h').do(postSlack))

export const paymentFailed = trigger('payment.failed', { source: 'billing' })
const chargeAgain = action('charge_again', () => ({ success: false, error: 'card declined' }))
export const alwaysFails = workflow('always-fails').on(paymentFailed).do(chargeAgain)

export const reminderRequested = trigger('reminder.requested', { source: 'app' })
const sendReminder = action('send_reminder', () => undefined)
export const slowReminder = workflow('slow-reminder').on(reminderRequested).delay('1h').do(sendReminder)
`

/** A config over FIXTURE_WORKFLOWS; `extra` is pasted into the defineConfig object. */
export function fixtureConfig(extra = ''): string {
  return `import { defineConfig } from 'pulse-engine'
import { alwaysFails, processOrder, slowReminder } from './workflows/fixtures.js'

export default defineConfig({
  workflows: [processOrder, alwaysFails, slowReminder],
  tenants: ['tenant_a', 'tenant_b'],
${extra}
})
`
}
