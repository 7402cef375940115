import type { PoolClient, QueryResultRow } from 'pg'

/** What the store needs from a connection: a pg Pool, or one client inside a transaction. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>
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
    await client.query('BEGIN')
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
