import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import pg from 'pg'
import { PulseConfigError } from '../errors.js'

/** A Postgres that runs inside this process: PGlite, served on a free loopback port. */
export interface EmbeddedDatabase {
  /** Where pg clients (the store, BullMQ's Postgres backend) connect. */
  connectionString: string
  pool: pg.Pool
  close(): Promise<void>
}

/**
 * Starts PGlite on `dataDir` (created if missing; `false` keeps everything in memory) and serves
 * it over the Postgres wire protocol on 127.0.0.1, so the store and BullMQ's Postgres backend use
 * it exactly as they use a real server.
 *
 * PGlite is one database session shared by every connection, so startup options such as a
 * per-connection search_path do not apply; the session's search_path is set once here to find
 * the queue schema's functions, and the engine's own tables are always schema-qualified.
 */
export async function startEmbeddedDatabase(options: { dataDir: string | false; queueSchema: string }): Promise<EmbeddedDatabase> {
  let db: PGlite
  if (options.dataDir === false) {
    db = await PGlite.create()
  } else {
    const dir = resolve(options.dataDir)
    await mkdir(dir, { recursive: true })
    try {
      db = await PGlite.create(dir)
    } catch (err) {
      throw new PulseConfigError(
        `could not open the embedded database in "${dir}": ${(err as Error).message}. Is another process using it? Each data directory serves one process at a time.`,
      )
    }
  }
  await db.exec(`SET search_path TO "${options.queueSchema}", public`)
  keepExtendedQueriesTogether(db)
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 200 })
  await server.start()
  const connectionString = `postgres://postgres@${server.getServerConn()}/postgres`
  const pool = new pg.Pool({ connectionString, max: 8 })
  // A connection dropped when the server stops must not crash the application.
  pool.on('error', () => undefined)
  return {
    connectionString,
    pool,
    async close() {
      await pool.end().catch(() => undefined)
      await server.stop().catch(() => undefined)
      await db.close().catch(() => undefined)
    },
  }
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
}
