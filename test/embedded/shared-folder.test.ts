import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { action, createEngine, PulseEmbeddedError, trigger, workflow } from '../../src/index.js'
import { waitForRun } from '../support/engine.js'

const later = trigger('later.requested', { source: 'test' })
const now = trigger('now.requested', { source: 'test' })
const done: string[] = []
const record = action('record', (ctx) => void done.push(ctx.run.id))
const slow = workflow('slow').on(later).delay('1h').do(record)
const quick = workflow('quick').on(now).do(record)

describe('two engines on one embedded data folder', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('serves the second through the first, whose worker takes its jobs even with a long delay pending', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pulse-shared-'))
    dirs.push(dataDir)
    const owner = createEngine({ dataDir, tablePrefix: 'shared_', queuePrefix: 'shared' })
    const client = createEngine({ dataDir, tablePrefix: 'shared_', queuePrefix: 'shared' })
    owner.register(slow, quick)
    client.register(slow, quick)
    try {
      await owner.migrate()
      await owner.sync({ tenantId: 't1', workflows: [slow, quick] })
      await owner.start()
      expect((await owner.info()).embedded).toMatchObject({ role: 'owner', owner: { pid: process.pid } })
      expect((await client.info()).embedded).toMatchObject({ role: 'client', owner: { pid: process.pid } })
      expect((await client.info()).databaseUrl).toBe((await owner.info()).databaseUrl)

      // A delayed job an hour out: the worker would otherwise block until it is due.
      const [waiting] = await owner.emit(later, { tenantId: 't1', payload: {} }).then((s) => owner.getRunsByTrigger(s.id))
      await waitForRun(owner, waiting!.id, ['waiting'])
      // The client starts no worker: its run is a queue job the owner's worker must pick up.
      const signal = await client.emit(now, { tenantId: 't1', payload: {} })
      const [run] = await client.getRunsByTrigger(signal.id)
      const finished = await waitForRun(owner, run!.id)
      expect(finished.status).toBe('completed')
      expect(done).toEqual([run!.id])
    } finally {
      await client.stop()
      await owner.stop()
    }
  })

  it('refuses a folder held by a process on another host at once, naming the record to delete', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pulse-shared-'))
    dirs.push(dataDir)
    const record = { pid: process.pid, host: 'another-host', dataDir: await realpath(dataDir), command: 'pulse dev', nonce: 'n', startedAt: new Date().toISOString(), url: 'postgres://postgres@127.0.0.1:1/postgres' }
    await writeFile(join(dataDir, 'pulse-owner.json'), JSON.stringify(record))
    const engine = createEngine({ dataDir })
    try {
      const err = await engine.info().then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(PulseEmbeddedError)
      expect(err).toMatchObject({ code: 'EMBEDDED_BUSY' })
      expect((err as Error).message).toContain(`on host "another-host"`)
      expect((err as Error).message).toContain(`delete ${join(await realpath(dataDir), 'pulse-owner.json')}`)
    } finally {
      await engine.stop()
    }
  })
})
