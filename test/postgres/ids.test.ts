import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId, newIdSql } from '../../src/store/ids.js'
import { DATABASE_URL, servicesMissing } from '../support/services.js'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const timeOf = (id: string) => [...id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0)

describe.skipIf(servicesMissing())('ids made by Postgres', () => {
  let pool: pg.Pool
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
  })
  afterAll(async () => {
    await pool.end()
  })

  it('have the form of newId(): the prefix, a millisecond timestamp and 80 random bits in Crockford base32, one per row', async () => {
    const before = Date.now()
    const { rows } = await pool.query<{ id: string }>(
      `SELECT ${newIdSql('run', 'x.r')} AS id FROM (SELECT md5(gen_random_uuid()::text) AS r FROM generate_series(1, 500)) x`,
    )
    const after = Date.now()
    const js = newId('run')
    const shape = /^run_[0-9a-hjkmnp-tv-z]{26}$/
    expect(js).toMatch(shape)
    for (const { id } of rows) {
      expect(id).toMatch(shape)
      // The two clocks are the same machine's here; allow for rounding and a slow statement.
      expect(timeOf(id)).toBeGreaterThanOrEqual(before - 1000)
      expect(timeOf(id)).toBeLessThanOrEqual(after + 1000)
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(500)
  })
})
