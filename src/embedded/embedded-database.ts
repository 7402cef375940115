import { existsSync, readdirSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import pg from 'pg'
import { PulseEmbeddedError } from '../errors.js'
import { createNewCluster } from './new-cluster.js'
import { claimDataDir, isAlive, OWNER_FILE, type OwnerClaim, type OwnerRecord } from './owner-record.js'

/**
 * A Postgres for the embedded mode: PGlite, served on a loopback port. The process that owns the
 * data folder runs it; other processes that open the same folder connect to the owner's server.
 */
export interface EmbeddedDatabase {
  /** Where pg clients (the store, BullMQ's Postgres backend) connect. */
  connectionString: string
  pool: pg.Pool
  /** `owner`: this process runs the database; `client`: another process does and serves it to this one. */
  role: 'owner' | 'client'
  /** The process that runs the database (this one, for an owner). */
  owner: { pid: number; command: string }
  close(): Promise<void>
}

export interface EmbeddedOptions {
  dataDir: string | false
  queueSchema: string
  /** Told about waits worth mentioning, such as another process still opening the folder. */
  onWait?: (message: string) => void
  /** The session's search_path, as SQL; default the queue schema, then public. */
  searchPath?: string
}

/** How long a process waits for another one that is still opening the folder. */
const OWNER_START_TIMEOUT_MS = 120_000

/**
 * Opens the embedded database on `dataDir` (`false`: in memory). The first process to open a
 * folder owns it: it runs PGlite on it and serves it over the Postgres wire protocol on
 * 127.0.0.1, publishing the address in the folder's owner record. A process that finds a live
 * owner connects to that address instead, so a folder never has two writers, which PGlite cannot
 * survive. A record left by a killed owner is taken over.
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  if (options.dataDir === false) return serve(await createNewCluster(undefined), options, undefined)
  const dir = resolve(options.dataDir)
  await mkdir(dir, { recursive: true })
  const deadline = Date.now() + OWNER_START_TIMEOUT_MS
  let told = false
  for (;;) {
    const claim = await claimDataDir(dir)
    if (claim.kind === 'owner') return openAsOwner(dir, claim.claim, options)
    const owner = claim.owner
    if (owner.host !== hostname()) {
      // Its server listens on that host's loopback: this process could never reach it, and cannot
      // tell whether it still runs (a shared or bind-mounted folder).
      throw new PulseEmbeddedError(
        'EMBEDDED_BUSY',
        `the embedded database in ${dir} is held by ${owner.command} (pid ${owner.pid}) on host "${owner.host}", which this process cannot reach; ` +
          `stop it there, or, if that process is gone (a container that was replaced), delete ${join(dir, OWNER_FILE)} and try again`,
      )
    }
    if (owner.url) {
      const client = await connectToOwner(owner, options)
      if (client) return client
    }
    if (Date.now() > deadline) {
      throw new PulseEmbeddedError(
        'EMBEDDED_BUSY',
        `the embedded database in ${dir} is held by ${owner.command} (pid ${owner.pid}), which has not served it for ${OWNER_START_TIMEOUT_MS / 1000} s; ` +
          `stop that process (kill ${owner.pid}) and try again`,
      )
    }
    if (!told) {
      told = true
      options.onWait?.(`waiting for ${owner.command} (pid ${owner.pid}) to open the embedded database in ${dir}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function openAsOwner(dir: string, claim: OwnerClaim, options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  let db: PGlite
  try {
    const isNew = !checkLooksLikeDatabase(dir)
    db = isNew ? await createNewCluster(dir, (name) => name.startsWith(OWNER_FILE)) : await PGlite.create(dir)
  } catch (err) {
    await claim.release()
    // A file system error (no permission, no space, too many open files) is no damage: say it as it is.
    if (err instanceof PulseEmbeddedError || typeof (err as NodeJS.ErrnoException).code === 'string') throw err
    throw damaged(dir, err)
  }
  try {
    return await serve(db, options, claim)
  } catch (err) {
    await db.close().catch(() => undefined)
    await claim.release()
    throw err
  }
}

/**
 * Serves a PGlite database the caller made, in memory and owned by nobody else (the testing kit's
 * copies of its template database). Closing the result closes `db` too.
 */
export function serveEmbeddedDatabase(db: PGlite, options: Pick<EmbeddedOptions, 'queueSchema' | 'searchPath'>): Promise<EmbeddedDatabase> {
  return serve(db, { dataDir: false, ...options }, undefined)
}

async function serve(db: PGlite, options: EmbeddedOptions, claim: OwnerClaim | undefined): Promise<EmbeddedDatabase> {
  await db.exec(`SET search_path TO ${options.searchPath ?? `"${options.queueSchema}", public`}`)
  // In this order: the group keeper must see every message, the answered Parse included.
  shareNamedStatements(db)
  keepExtendedQueriesTogether(db)
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 200 })
  await server.start()
  const connectionString = `postgres://postgres@${server.getServerConn()}/postgres`
  try {
    await claim?.publish(connectionString)
  } catch (err) {
    // A listening server would keep the process alive after the failed open.
    await server.stop().catch(() => undefined)
    throw err
  }
  const pool = quietPool(connectionString, 8)
  return {
    connectionString,
    pool,
    role: 'owner',
    owner: { pid: process.pid, command: claim?.record.command ?? 'this process' },
    async close() {
      await pool.end().catch(() => undefined)
      await server.stop().catch(() => undefined)
      await db.close().catch(() => undefined)
      await claim?.release()
    },
  }
}

/** Connects to a live owner's server; undefined when it does not answer (it may be stopping). */
async function connectToOwner(owner: OwnerRecord, _options: EmbeddedOptions): Promise<EmbeddedDatabase | undefined> {
  const pool = quietPool(owner.url!, 4)
  try {
    await pool.query('SELECT 1')
  } catch {
    await pool.end().catch(() => undefined)
    if (isAlive(owner)) await new Promise((r) => setTimeout(r, 100))
    return undefined
  }
  return {
    connectionString: owner.url!,
    pool,
    role: 'client',
    owner: { pid: owner.pid, command: owner.command },
    close: () => pool.end().catch(() => undefined),
  }
}

function quietPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max })
  // A connection dropped when the server stops must not crash the application.
  pool.on('error', () => undefined)
  return pool
}

/**
 * A folder with files in it but no PG_VERSION is something else: opening it would write a new
 * database into it. True when the folder holds a database, false when it is empty (a new one).
 */
function checkLooksLikeDatabase(dir: string): boolean {
  if (existsSync(resolve(dir, 'PG_VERSION'))) return true
  const other = readdirSync(dir).filter((name) => !name.startsWith(OWNER_FILE))
  if (other.length === 0) return false
  throw new PulseEmbeddedError(
    'EMBEDDED_NOT_A_DATABASE',
    `${dir} holds files (${other.slice(0, 3).join(', ')}${other.length > 3 ? ', ...' : ''}) but no embedded database (no PG_VERSION); ` +
      `point dataDir at an empty or new folder, or at one pulse-engine created`,
  )
}

function damaged(dir: string, err: unknown): PulseEmbeddedError {
  const reason = err instanceof Error ? err.message.replace(/\.+$/, '') : String(err)
  return new PulseEmbeddedError(
    'EMBEDDED_DAMAGED',
    `the embedded database in ${dir} is damaged and cannot be opened (PGlite: ${reason}). ` +
      'This happens when two processes wrote the folder at once or the disk filled up. ' +
      `To recover, restore the folder from a backup, or remove it to start empty: rm -rf ${JSON.stringify(dir)} ` +
      '(its runs and signals are lost; "pulse sync" stores the workflows again)',
    { cause: err },
  )
}

/** Message types of the extended query protocol that leave a Parse/Bind/Execute group open. */
const GROUP_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)))
const SYNC = 'S'.charCodeAt(0)
const SIMPLE_QUERY = 'Q'.charCodeAt(0)

/**
 * pglite-socket serves many client connections from one PGlite session and queues their
 * protocol messages one by one. It keeps a connection's messages together while a transaction is
 * open, but not within one extended query (Parse, Bind, Execute ... Sync): another connection's
 * Parse can replace the unnamed statement between them ("bind message supplies 2 parameters").
 * The queue asks `isInTransaction()` to decide whether it must stay with the same connection, so
 * reporting an open extended-query group there keeps each group whole.
 */
function keepExtendedQueriesTogether(db: PGlite): void {
  let groupOpen = false
  const isInTransaction = db.isInTransaction.bind(db)
  const execProtocolRawStream = db.execProtocolRawStream.bind(db)
  const exec = db.exec.bind(db)
  db.isInTransaction = () => groupOpen || isInTransaction()
  db.execProtocolRawStream = async (message, options) => {
    const type = message[0]
    try {
      return await execProtocolRawStream(message, options)
    } finally {
      if (type !== undefined && GROUP_MESSAGES.has(type)) groupOpen = true
      else if (type === SYNC || type === SIMPLE_QUERY) groupOpen = false
    }
  }
  // The server rolls back with exec() when a client disconnects mid-group or mid-transaction:
  // that ends the group too, or the queue would wait for a Sync that never comes.
  db.exec = async (query, options) => {
    try {
      return await exec(query, options)
    } finally {
      groupOpen = false
    }
  }
}

const PARSE = 'P'.charCodeAt(0)
const PARSE_COMPLETE = Uint8Array.of('1'.charCodeAt(0), 0, 0, 0, 4)
const decoder = new TextDecoder()

/**
 * Every client connection shares PGlite's one session, so a statement one connection prepared
 * under a name is there for all of them, and a second connection preparing it again would fail
 * ("prepared statement already exists"). A Parse that repeats, byte for byte (name, text and
 * parameter types), one the session already holds is answered as done without reaching PGlite:
 * the engine names its statements by the hash of their text, so every connection uses the plan
 * made once. A Parse of a held name with other text still reaches PGlite and fails as it should.
 */
function shareNamedStatements(db: PGlite): void {
  const prepared = new Map<string, Buffer>()
  const execProtocolRawStream = db.execProtocolRawStream.bind(db)
  db.execProtocolRawStream = async (message, options) => {
    if (message[0] === SIMPLE_QUERY || message[0] === PARSE) forgetDeallocated(prepared, decoder.decode(message.subarray(5)))
    const name = message[0] === PARSE ? statementName(message) : ''
    if (name === '') return execProtocolRawStream(message, options)
    if (prepared.get(name)?.equals(message)) {
      options?.onRawData?.(PARSE_COMPLETE)
      return
    }
    let parsed = false
    await execProtocolRawStream(message, {
      ...options,
      onRawData: (data) => {
        if (data[0] === PARSE_COMPLETE[0]) parsed = true
        options?.onRawData?.(data)
      },
    })
    if (parsed) prepared.set(name, Buffer.from(message))
  }
}

/** The statement name of a Parse message (after its type byte and length): '' for the unnamed one. */
function statementName(message: Uint8Array): string {
  const end = message.indexOf(0, 5)
  return end <= 5 ? '' : decoder.decode(message.subarray(5, end))
}

/** A client that drops prepared statements itself (DEALLOCATE, DISCARD ALL) must find them gone. */
function forgetDeallocated(prepared: Map<string, Buffer>, sql: string): void {
  if (/\bdiscard\s+all\b/i.test(sql)) return prepared.clear()
  for (const m of sql.matchAll(/\bdeallocate\s+(?:prepare\s+)?(?:"([^"]+)"|(\w+))/gi)) {
    const name = m[1] ?? m[2]!
    if (!m[1] && name.toLowerCase() === 'all') prepared.clear()
    else prepared.delete(m[1] ? name : name.toLowerCase())
  }
}
