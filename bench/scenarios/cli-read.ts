import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { round } from '../numbers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const CLI = join(ROOT, 'dist/cli.js')

const WORKFLOW = `import { z } from 'zod'
import { action, trigger, workflow } from 'pulse-engine'
export const signedUp = trigger('user.signed_up', { source: 'app', payload: z.object({ email: z.string() }) })
export const welcome = workflow('welcome').on(signedUp).do(action('send', () => undefined))
`
const CONFIG = `import { defineConfig } from 'pulse-engine'
import { welcome } from './workflow.js'
export default defineConfig({ workflows: [welcome], tenants: ['workspace_1'] })
`
// Holds the data folder the way pulse dev does: opens it and waits.
const OWNER = `import { createEngine } from 'pulse-engine'
const engine = createEngine({ dataDir: process.argv[2] })
await engine.info()
process.stdout.write('ready\\n')
process.on('SIGTERM', async () => { await engine.stop(); process.exit(0) })
setInterval(() => undefined, 1 << 30)
`

export interface CliReadResult {
  /** `pulse runs` with no other process on the folder: it opens PGlite itself. */
  coldMs: { p50: number; min: number; max: number }
  /** `pulse runs` while another process owns the folder: it connects through that owner. */
  servedMs: { p50: number; min: number; max: number }
  samples: number
}

/**
 * Wall time of `pulse runs` on an embedded folder, from a new process to its exit, as a user
 * in a second terminal sees it. Needs the built package (npm run build). `seedRun: false` leaves
 * the folder without runs, which saves a CLI process where nothing is measured (--smoke).
 */
export async function cliRead(samples: number, seedRun = true): Promise<CliReadResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run "npm run build" first`)
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-cli-'))
  try {
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(ROOT, join(dir, 'node_modules/pulse-engine'), 'dir')
    symlinkSync(join(ROOT, 'node_modules/zod'), join(dir, 'node_modules/zod'), 'dir')
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true, type: 'module' }))
    writeFileSync(join(dir, 'workflow.ts'), WORKFLOW)
    writeFileSync(join(dir, 'pulse.config.ts'), CONFIG)
    writeFileSync(join(dir, 'owner.mjs'), OWNER)
    pulse(dir, ['sync'])
    // A run for `pulse runs` to print, as a user's folder would have; --smoke reads an empty list.
    if (seedRun) pulse(dir, ['emit', 'user.signed_up', '--tenant', 'workspace_1', '--payload', '{"email":"a@example.com"}'])

    const cold = Array.from({ length: samples }, () => timed(() => pulse(dir, ['runs'])))
    const owner = spawn(process.execPath, ['owner.mjs', join(dir, '.pulse')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolveReady, reject) => {
      owner.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolveReady())
      owner.on('exit', (code) => reject(new Error(`the owner process exited (${code}) before it was ready`)))
    })
    const served = Array.from({ length: samples }, () => timed(() => pulse(dir, ['runs'])))
    owner.kill('SIGTERM')
    await new Promise((r) => owner.on('exit', r))
    return { coldMs: summary(cold), servedMs: summary(served), samples }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function pulse(cwd: string, args: string[]): void {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '' } })
  if (result.status !== 0) throw new Error(`pulse ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
}

function timed(work: () => void): number {
  const start = performance.now()
  work()
  return performance.now() - start
}

function summary(values: number[]): { p50: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b)
  return { p50: round(sorted[Math.floor(sorted.length / 2)]!, 0), min: round(sorted[0]!, 0), max: round(sorted.at(-1)!, 0) }
}
