import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

// Random bytes are drawn a few kilobytes at a time: the hot path makes an id per step, and a
// randomBytes() call per id showed up in its profile.
const POOL_SIZE = 4096
let pool = Buffer.alloc(0)
let poolOffset = POOL_SIZE

function random10(): Buffer {
  if (poolOffset + 10 > pool.length) {
    pool = randomBytes(POOL_SIZE)
    poolOffset = 0
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 10)
  poolOffset += 10
  return bytes
}

/**
 * A new id such as `trg_01m96ax4k7d2qv8c3rj5tn9w6e`: a millisecond timestamp then 80 random
 * bits, in Crockford base32, so ids of one kind sort roughly by creation time. Every id the
 * engine makes has this form; the ones Postgres makes come from `newIdSql`.
 */
export function newId(prefix: string): string {
  let time = Date.now()
  let head = ''
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head
    time = Math.floor(time / 32)
  }
  const bytes = random10()
  let tail = ''
  for (let i = 0; i < 16; i++) {
    // 16 characters x 5 bits = the 80 random bits, read 5 at a time.
    const bit = i * 5
    const byte = bit >> 3
    const offset = bit & 7
    const word = ((bytes[byte] ?? 0) << 8) | (bytes[byte + 1] ?? 0)
    tail += ALPHABET[(word >> (11 - offset)) & 31]
  }
  return `${prefix}_${head}${tail}`
}

/**
 * `newId(prefix)` as an SQL expression, for rows whose number only the statement knows (the runs
 * a signal matches and their first steps). `randomHex` is an SQL expression of at least 20 random
 * hex digits taken from the row being created, so that the expression is evaluated per row (a
 * subquery that refers to nothing outside it runs once per statement).
 */
export function newIdSql(prefix: string, randomHex: string): string {
  if (!/^[a-z]+$/.test(prefix)) throw new Error(`id prefix "${prefix}" must be lower-case letters`)
  return `(SELECT '${prefix}_' || string_agg(substr('${ALPHABET}', substring(b.bits FROM i * 5 + 1 FOR 5)::int + 1, 1), '' ORDER BY i)
    FROM (SELECT substring(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::bit(64) FROM 15 FOR 50)
                 || ('x' || substr(${randomHex}, 1, 20))::bit(80) AS bits) b, generate_series(0, 25) i)`
}
