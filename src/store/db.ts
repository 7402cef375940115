import { createHash } from 'node:crypto'
import type { PoolClient, QueryResultRow } from 'pg'

/** What the store needs from a connection: a pg Pool, or one client inside a transaction. */
/** SQL text, or SQL text with a name under which Postgres keeps it prepared on each connection. */
export type Statement = string | { name: string; text: string }

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(statement: Statement, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>
}

const built = new WeakMap<object, Map<string, Statement>>()

/**
 * A hot statement, built once per set of tables: its text runs to kilobytes, and building and
 * hashing it again on every step showed up in profiles. Where enabled it also gets a name, so
 * each connection parses and plans it once instead of on every call (planning the transition
 * statement costs about as much as running it). Off where one database session is shared by
 * many connections (the embedded mode), since names would clash.
 */
export function preparedStatement<T extends { prepared: boolean }>(tables: T, key: string, build: (tables: T) => string): Statement {
  let statements = built.get(tables)
  if (!statements) built.set(tables, (statements = new Map()))
  let statement = statements.get(key)
  if (!statement) {
    const text = build(tables)
    statement = tables.prepared ? { name: `pulse_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text } : text
    statements.set(key, statement)
  }
  return statement
}

/** A pg Pool, or anything that offers the same two methods the store uses. */
export interface PoolLike extends Queryable {
  connect(): Promise<PoolClient>
}

/** Runs `fn` inside BEGIN/COMMIT on one pooled client, rolling back when it throws. */
export async function inTransaction<T>(pool: PoolLike, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    // Named, not inherited from the server's default: statements after a lock must see what
    // committed while they waited for it (wait registration and signal delivery count on it).
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    // A failed ROLLBACK means the connection itself is gone: hand it back as broken so the pool
    // discards it instead of lending it out again.
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr))
    })
    throw err
  } finally {
    client.release(broken)
  }
}
