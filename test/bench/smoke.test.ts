import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { servicesMissing } from '../support/services.js'

const exec = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')

/** The benchmark must keep working; its numbers are for people, so none is checked here. */
describe.skipIf(servicesMissing())('npm run bench', () => {
  it('runs every scenario on tiny workloads and writes a result file', async () => {
    const { stdout } = await exec(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/run.ts', '--smoke'], {
      cwd: root,
      timeout: 120_000,
    })
    const file = /written to (.+\.json)/.exec(stdout)?.[1]
    expect(file).toBeDefined()
    const result = JSON.parse(await readFile(file!, 'utf8')) as Record<string, Record<string, unknown>>
    expect(Object.keys(result).sort()).toEqual(['at', 'cli', 'emit', 'latency', 'machine', 'memory', 'noisy', 'size', 'throughput', 'unloaded'])
    const throughput = result.throughput!
    expect(Object.keys(throughput).sort()).toEqual(['embedded', 'postgres', 'ratio', 'ratioPerRound', 'rawBullmq', 'redis', 'rounds'])
    // --smoke measures each throughput side once, each in a process of its own.
    expect(throughput.rounds).toBe(1)
    for (const side of ['rawBullmq', 'redis', 'postgres', 'embedded']) {
      expect(Object.keys(throughput[side] as object).sort()).toEqual(['concurrency', 'max', 'min', 'mode', 'perRound', 'runs', 'stepsPerRun', 'stepsPerSecond'])
      expect((throughput[side] as { perRound: number[] }).perRound).toHaveLength(1)
    }
    expect(stdout).toMatch(/raw BullMQ chain/)
  }, 150_000)
})
