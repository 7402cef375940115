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
 * bits, in Crockford base32, so ids of one kind sort roughly by creation time. (Run ids are made
 * in SQL instead: `run_` and 32 hex digits.)
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
