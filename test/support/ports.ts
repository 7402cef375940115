import { createServer } from 'node:net'

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Reliability tests run longer with PULSE_RELIABILITY_LONG=1 (`npm run test:reliability:long`). */
export const LONG = process.env.PULSE_RELIABILITY_LONG === '1'

/** `short` in CI, `long` with PULSE_RELIABILITY_LONG=1. */
export const sized = (short: number, long: number) => (LONG ? long : short)
