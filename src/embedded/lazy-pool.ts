import type { Pool, PoolClient, QueryResultRow } from 'pg'

/**
 * A pool that opens its database on first use. The engine is created synchronously, but an
 * embedded database starts asynchronously; this lets the store be built before it exists.
 */
export interface LazyPool {
  query<R extends QueryResultRow = QueryResultRow>(
    statement: string | { name: string; text: string },
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>
  connect(): Promise<PoolClient>
}

export function lazyPool(open: () => Promise<Pool>): LazyPool {
  return {
    async query<R extends QueryResultRow>(statement: string | { name: string; text: string }, values?: unknown[]) {
      return (await open()).query<R>(statement, values)
    },
    async connect() {
      return (await open()).connect()
    },
  }
}
