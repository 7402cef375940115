import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { RESULT_MARK, type ScenarioArgs, type ScenarioName, type ScenarioResult } from './scenario-catalog.js'

const ROOT = resolve(import.meta.dirname, '..')
const ENTRY = join(import.meta.dirname, 'scenario-entry.ts')

/**
 * Runs one scenario in a new Node process with the bench's own flags and returns its result, so
 * no measurement inherits another's heap, JIT state, connections or leftover timers.
 *
 * @example
 * const raw = await inFreshProcess('raw-bullmq', { runs: 1000, steps: 5, concurrency: 50 })
 */
export async function inFreshProcess<N extends ScenarioName>(name: N, args: ScenarioArgs<N>): Promise<ScenarioResult<N>> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', ENTRY, name, JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let result: string | undefined
  let pending = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      if (line.startsWith(RESULT_MARK)) result = line.slice(RESULT_MARK.length)
      // Anything else a library prints still reaches the person running the bench, away from the table.
      else if (line) process.stderr.write(`${line}\n`)
    }
  })
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.on('error', reject)
    child.on('close', (exitCode) => resolveExit(exitCode))
  })
  if (code !== 0) throw new Error(`bench scenario "${name}" exited with code ${code} (its error is printed above); run it alone with: node --expose-gc --import tsx bench/scenario-entry.ts ${name} '${JSON.stringify(args)}'`)
  if (result === undefined) throw new Error(`bench scenario "${name}" exited without printing a result line starting with "${RESULT_MARK}"`)
  return JSON.parse(result) as ScenarioResult<N>
}
