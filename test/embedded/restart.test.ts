import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine } from '../../src/index.js'
import { reminder } from '../fixtures/restart-workflow.js'
import { waitForRun } from '../support/engine.js'

const run = promisify(execFile)

describe('embedded mode keeps its state across restarts', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('finishes a run that was waiting in a delay when its process exited, after a new process starts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pulse-restart-'))
    dirs.push(dataDir)
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/restart-first-process.ts', dataDir], {
      timeout: 60_000,
    })
    const first = JSON.parse(stdout.trim().split('\n').at(-1)!) as { runId: string; status: string }
    expect(first.status).toBe('waiting')

    const ranIn: string[] = []
    const engine = createEngine({ dataDir, tablePrefix: 'restart_', queuePrefix: 'restart', reconcileIntervalMs: 500 })
    engine.register(reminder('second', (runId) => ranIn.push(runId)))
    try {
      await engine.start()
      const done = await waitForRun(engine, first.runId, undefined, 20_000)
      expect(done.status).toBe('completed')
      expect(done.context).toEqual({ send_reminder: { sentBy: 'second' } })
      expect(ranIn).toEqual([first.runId])
      const steps = await engine.getRunSteps(first.runId)
      expect(steps.map((s) => [s.stepName, s.status])).toEqual([
        ['wait', 'completed'],
        ['send_reminder', 'completed'],
      ])
    } finally {
      await engine.stop()
    }
  }, 90_000)
})
