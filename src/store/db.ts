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
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    client.release()
  }
}
