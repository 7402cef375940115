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
 * hex digits belonging to the row (a column of it, so that each row gets its own). The time is
 * the transaction's start. Written out character by character: a subquery that aggregates the
 * characters cost Postgres about 10 us more per id.
 */
export function newIdSql(prefix: string, randomHex: string): string {
  if (!/^[a-z]+$/.test(prefix)) throw new Error(`id prefix "${prefix}" must be lower-case letters`)
  const chars = (value: string, bits: number) =>
    Array.from({ length: bits / 5 }, (_, k) => `substr('${ALPHABET}', ((${value} >> ${bits - 5 - 5 * k}) & 31)::int + 1, 1)`)
  const time = `floor(extract(epoch FROM now()) * 1000)::bigint`
  const high = `('x' || substr(${randomHex}, 1, 10))::bit(40)::bigint`
  const low = `('x' || substr(${randomHex}, 11, 10))::bit(40)::bigint`
  return `('${prefix}_' || ${[...chars(time, 50), ...chars(high, 40), ...chars(low, 40)].join(' || ')})`
}
