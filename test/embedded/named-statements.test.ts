import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/embedded/embedded-database.js'

/**
 * Every connection to the embedded server shares PGlite's one session, so a statement prepared
 * under a name by one connection is there for all of them.
 */
describe('named statements on the embedded server', () => {
  const opened: { db?: EmbeddedDatabase; clients: pg.Client[] } = { clients: [] }
  afterAll(async () => {
    for (const client of opened.clients) await client.end().catch(() => undefined)
    await opened.db?.close()
  })

  const connect = async (url: string) => {
    const client = new pg.Client({ connectionString: url })
    opened.clients.push(client)
    await client.connect()
    return client
  }

  it('lets each connection prepare the same name, and a name whose Parse failed is parsed again', async () => {
    const db = (opened.db = await startEmbeddedDatabase({ dataDir: false, queueSchema: 'public' }))
    const [a, b] = [await connect(db.connectionString), await connect(db.connectionString)]
    const statement = { name: 'pulse_test_double', text: 'SELECT $1::int * 2 AS n' }
    expect((await a.query(statement, [2])).rows).toEqual([{ n: 4 }])
    // b's pg client has not prepared it on its connection, so it sends a Parse of a name the session holds.
    expect((await b.query(statement, [3])).rows).toEqual([{ n: 6 }])
    expect((await a.query(statement, [5])).rows).toEqual([{ n: 10 }])

    const broken = { name: 'pulse_test_broken', text: 'SELECT no_such_column FROM pg_class LIMIT 1' }
    await expect(a.query(broken)).rejects.toThrow(/no_such_column/)
    await expect(b.query(broken)).rejects.toThrow(/no_such_column/)
    // The connections are still usable after the failures.
    expect((await b.query(statement, [7])).rows).toEqual([{ n: 14 }])

    // Dropped by a client: the next connection's Parse must reach PGlite again.
    await a.query('DEALLOCATE pulse_test_double')
    const c = await connect(db.connectionString)
    expect((await c.query(statement, [8])).rows).toEqual([{ n: 16 }])
    // The same name with other text is not taken for the held statement.
    const d = await connect(db.connectionString)
    await expect(d.query({ name: 'pulse_test_double', text: 'SELECT 1 AS n' })).rejects.toThrow(/already exists/)
  })
})
