import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, unlinkSync } from 'node:fs'
import { link, readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'

/** Name of the file, inside an embedded data folder, that says which process owns the folder. */
export const OWNER_FILE = 'pulse-owner.json'

/**
 * Who owns an embedded data folder. Exactly one process opens the folder with PGlite; every other
 * process that wants it connects to `url`, the owner's loopback server.
 */
export interface OwnerRecord {
  pid: number
  /** The owner's start time as the kernel reports it (Linux), so a reused pid is not taken for the owner. */
  processStart?: string
  host: string
  /** The folder the record was written for: a copy of the folder (a backup) must not lead to the original's owner. */
  dataDir: string
  /** What the owner is, for messages: `pulse dev`, `node app.js`. */
  command: string
  /** Unique per claim: a process releases the folder only while the record is still its own. */
  nonce: string
  startedAt: string
  /** Set once the owner serves the database; absent while it is still opening it. */
  url?: string
}

/** A claim on a data folder this process holds. */
export interface OwnerClaim {
  record: OwnerRecord
  /** Publishes the address other processes connect to. */
  publish(url: string): Promise<void>
  /** Gives the folder up, if the record is still this claim's. Safe to call more than once. */
  release(): Promise<void>
}

export type ClaimResult = { kind: 'owner'; claim: OwnerClaim } | { kind: 'taken'; owner: OwnerRecord }

/**
 * Claims `dir` for this process, or says who has it. The record is created with `link`, which
 * fails when the file exists, so two processes can never both create it. A record whose process
 * has died is stale: it is removed under a short-lived takeover file, so two processes that find
 * the same stale record cannot both replace it.
 */
export async function claimDataDir(folder: string): Promise<ClaimResult> {
  const dir = await realpath(folder)
  const path = join(dir, OWNER_FILE)
  for (let attempt = 0; ; attempt++) {
    const record = ownRecord(dir)
    if (await createExclusive(path, record)) return { kind: 'owner', claim: ownerClaim(path, record) }
    const current = await readRecord(path)
    if (current === 'missing') continue // released between our attempt and our read
    if (current !== 'unreadable' && current.dataDir === dir && isAlive(current)) return { kind: 'taken', owner: current }
    if (current === 'unreadable' && (await ageMs(path)) < 2000) {
      // A record is always written whole before it appears, so an unreadable one is foreign or damaged;
      // give a writer on another platform a moment before treating it as stale.
      await sleep(50)
      continue
    }
    await removeStale(path, current)
    if (attempt > 50) throw new Error(`could not claim ${dir}: ${OWNER_FILE} keeps changing`)
  }
}

/** Reads the owner record of `dir`: undefined when nobody owns it, or the owner is dead. */
export async function liveOwner(folder: string): Promise<OwnerRecord | undefined> {
  const dir = await realpath(folder)
  const current = await readRecord(join(dir, OWNER_FILE))
  return typeof current === 'object' && current.dataDir === dir && isAlive(current) ? current : undefined
}

/** Whether the process a record names is still running (the same process, not a reused pid). */
export function isAlive(record: OwnerRecord): boolean {
  // Another machine's process (a shared folder) cannot be checked: assume it lives.
  if (record.host !== hostname()) return true
  try {
    process.kill(record.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (record.processStart !== undefined) {
    const start = processStart(record.pid)
    if (start !== undefined && start !== record.processStart) return false
  }
  return true
}

function ownRecord(dir: string): OwnerRecord {
  const start = processStart(process.pid)
  return {
    pid: process.pid,
    ...(start !== undefined ? { processStart: start } : {}),
    host: hostname(),
    dataDir: dir,
    command: describeProcess(),
    nonce: randomUUID(),
    startedAt: new Date().toISOString(),
  }
}

/** Claims this process holds, freed on exit when a script ends without closing its engine. */
const held = new Map<string, string>()
let exitHookInstalled = false

function freeHeldOnExit(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const [path, nonce] of held) {
      try {
        if ((JSON.parse(readFileSync(path, 'utf8')) as OwnerRecord).nonce === nonce) unlinkSync(path)
      } catch {
        // Nothing to free.
      }
    }
  })
}

function ownerClaim(path: string, record: OwnerRecord): OwnerClaim {
  let released = false
  freeHeldOnExit()
  held.set(path, record.nonce)
  return {
    record,
    async publish(url) {
      const current = await readRecord(path)
      if (typeof current !== 'object' || current.nonce !== record.nonce) {
        throw new Error(`the owner record ${path} was replaced while this process opened the folder; another process took it over`)
      }
      record.url = url
      // Written beside, then renamed over: readers see the old record or the new one, never half of one.
      const tmp = `${path}.${record.nonce}.tmp`
      await writeFile(tmp, JSON.stringify(record))
      await rename(tmp, path)
    },
    async release() {
      if (released) return
      released = true
      if (held.get(path) === record.nonce) held.delete(path)
      const current = await readRecord(path)
      if (typeof current === 'object' && current.nonce === record.nonce) await unlink(path).catch(() => undefined)
    },
  }
}

async function createExclusive(path: string, record: OwnerRecord): Promise<boolean> {
  const tmp = `${path}.${record.nonce}.tmp`
  await writeFile(tmp, JSON.stringify(record))
  try {
    await link(tmp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}

async function readRecord(path: string): Promise<OwnerRecord | 'missing' | 'unreadable'> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw err
  }
  try {
    const value = JSON.parse(text) as Partial<OwnerRecord>
    if (typeof value.pid === 'number' && typeof value.nonce === 'string' && typeof value.host === 'string') return value as OwnerRecord
  } catch {
    // Falls through to unreadable.
  }
  return 'unreadable'
}

/**
 * Removes a stale record. Only the holder of `<record>.takeover` may remove it, and it checks
 * again under that lock that the record is still the stale one it saw: a racer that replaced it
 * in the meantime has a live record, which is left alone.
 */
async function removeStale(path: string, seen: OwnerRecord | 'unreadable'): Promise<void> {
  const takeover = `${path}.takeover`
  const mine = ownRecord(path)
  if (!(await createExclusive(takeover, mine))) {
    const holder = await readRecord(takeover)
    // A takeover takes milliseconds; one whose process died (or that is old) is abandoned.
    const abandoned = holder === 'unreadable' || (typeof holder === 'object' && !isAlive(holder)) || (await ageMs(takeover)) > 10_000
    if (holder !== 'missing' && abandoned) await removeIfSame(takeover, holder)
    await sleep(10 + Math.random() * 40)
    return
  }
  try {
    const current = await readRecord(path)
    const same =
      current === 'unreadable' ? seen === 'unreadable' : typeof current === 'object' && typeof seen === 'object' && current.nonce === seen.nonce
    if (same) await removeIfSame(path, current as OwnerRecord | 'unreadable')
  } finally {
    await removeIfSame(takeover, mine)
  }
}

/** Removes `path` only if it still holds `expected`: rename it aside, check, and put it back if it changed. */
async function removeIfSame(path: string, expected: OwnerRecord | 'unreadable'): Promise<void> {
  const aside = `${path}.${randomUUID()}.stale`
  try {
    await rename(path, aside)
  } catch {
    return // already gone
  }
  const moved = await readRecord(aside)
  const same = expected === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.nonce === expected.nonce
  if (!same && typeof moved === 'object' && isAlive(moved)) {
    // We moved a live record created after our check: restore it (link fails only if yet another appeared).
    await link(aside, path).catch(() => undefined)
  }
  await unlink(aside).catch(() => undefined)
}

async function ageMs(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs
  } catch {
    return 0
  }
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), where there is a /proc. */
function processStart(pid: number): string | undefined {
  const file = `/proc/${pid}/stat`
  if (!existsSync(file)) return undefined
  try {
    const text = readFileSync(file, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function describeProcess(): string {
  const script = process.argv[1] ?? ''
  if (/[/\\]cli\.[cm]?js$/.test(script) || /[/\\]pulse$/.test(script)) {
    const command = process.argv.slice(2).filter((a) => !a.startsWith('-'))[0]
    return `pulse ${command ?? ''}`.trim()
  }
  const name = script.split(/[/\\]/).pop()
  return name ? `node ${name}` : 'node'
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
