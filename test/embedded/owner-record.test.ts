import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { claimDataDir, liveOwner, OWNER_FILE, type ClaimResult } from '../../src/embedded/owner-record.js'

/** The pid of a process that has exited, so a record naming it is stale. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  const pid = child.pid!
  await new Promise((resolve) => child.on('exit', resolve))
  return pid
}

async function staleRecord(): Promise<(dir: string) => string> {
  const pid = await deadPid()
  return (dir) => JSON.stringify({ pid, host: hostname(), dataDir: dir, command: 'pulse dev', nonce: 'stale', startedAt: new Date().toISOString(), url: 'postgres://postgres@127.0.0.1:1/postgres' })
}

const owners = (results: ClaimResult[]) => results.filter((r) => r.kind === 'owner')

/** Runs `count` independent races, 100 folders at a time. */
async function inBatches(count: number, race: (i: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < count; start += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - start) }, (_, k) => race(start + k)))
  }
}

describe('the owner record of an embedded data folder', () => {
  const dirs: string[] = []
  const newDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-owner-'))
    dirs.push(dir)
    return dir
  }
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('gives a folder to exactly one of two concurrent claims, 1,000 times', async () => {
    const root = await newDir()
    await inBatches(1000, async (i) => {
      const dir = join(root, String(i))
      await mkdir(dir)
      const results = await Promise.all([claimDataDir(dir), claimDataDir(dir)])
      expect(owners(results)).toHaveLength(1)
      const taken = results.find((r) => r.kind === 'taken')
      expect(taken?.kind === 'taken' && taken.owner.pid).toBe(process.pid)
      for (const r of results) if (r.kind === 'owner') await r.claim.release()
    })
  })

  it('takes over a record left by a killed owner in exactly one of two racing claims, 1,000 times', async () => {
    const root = await newDir()
    // Spawning a process per round would take minutes: one dead pid serves every round.
    const stale = await staleRecord()
    await inBatches(1000, async (i) => {
      const dir = join(root, String(i))
      await mkdir(dir)
      await writeFile(join(dir, OWNER_FILE), stale(dir))
      const results = await Promise.all([claimDataDir(dir), claimDataDir(dir)])
      expect(owners(results)).toHaveLength(1)
      for (const r of results) if (r.kind === 'owner') await r.claim.release()
      // No takeover file or set-aside record is left behind.
      expect(await readdir(dir)).toEqual([])
    })
  })

  it('releases the folder on release(), and only while the record is still its own', async () => {
    const dir = await newDir()
    const first = await claimDataDir(dir)
    if (first.kind !== 'owner') throw new Error('expected to own a new folder')
    await first.claim.publish('postgres://postgres@127.0.0.1:5999/postgres')
    expect((await liveOwner(dir))?.url).toBe('postgres://postgres@127.0.0.1:5999/postgres')
    await first.claim.release()
    expect(await liveOwner(dir)).toBeUndefined()

    const second = await claimDataDir(dir)
    if (second.kind !== 'owner') throw new Error('expected to own a released folder')
    // A stale handle of the first claim must not remove the second one's record.
    await first.claim.release()
    expect((await liveOwner(dir))?.nonce).toBe(second.claim.record.nonce)
    await second.claim.release()
  })

  it('does not mistake a reused pid for the owner that wrote the record', async () => {
    const dir = await newDir()
    // This process is alive, but it is not the process that started at this (made-up) time.
    const record = { pid: process.pid, processStart: '1', host: hostname(), dataDir: dir, command: 'pulse dev', nonce: 'old', startedAt: new Date().toISOString() }
    await writeFile(join(dir, OWNER_FILE), JSON.stringify(record))
    const result = await claimDataDir(dir)
    // Only Linux exposes start times; elsewhere the live pid counts as the owner.
    if (process.platform === 'linux') expect(result.kind).toBe('owner')
    if (result.kind === 'owner') await result.claim.release()
  })

  it('does not send a copy of a folder (a backup) to the owner of the original', async () => {
    const original = await newDir()
    const claim = await claimDataDir(original)
    if (claim.kind !== 'owner') throw new Error('expected to own a new folder')
    const copy = await newDir()
    await writeFile(join(copy, OWNER_FILE), await readFile(join(original, OWNER_FILE), 'utf8'))
    expect(await liveOwner(copy)).toBeUndefined()
    const second = await claimDataDir(copy)
    expect(second.kind).toBe('owner')
    if (second.kind === 'owner') await second.claim.release()
    await claim.claim.release()
  })
})
