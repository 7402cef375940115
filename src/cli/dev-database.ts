import type { Engine } from '../index.js'
import { embeddedDataDir, refuseImplicitEmbeddedInCi } from './embedded-session.js'
import { resolveLibrary } from './library.js'
import type { LoadedConfig } from './load-config.js'

/** How long a worker waits for the supervisor to open the folder (creating one takes seconds; another process may still be opening it). */
const HOLD_TIMEOUT_MS = 150_000

/** Asks the `pulse dev` supervisor to open the embedded data folder, and its answer. */
type HoldRequest = { type: 'hold-embedded'; dataDir: string; queueSchema?: string }
type HoldReply = { type: 'embedded-held' } | { type: 'embedded-failed'; message: string }

/**
 * `pulse dev` restarts its worker process on every change. If the worker owned the embedded
 * folder, each reload would take the database away from every other process using it (a second
 * terminal's `pulse emit`, the application). So the supervisor, which lives as long as `pulse dev`,
 * owns the folder, and its workers connect through it like any other process.
 */
export function embeddedHolder(configPath: string): {
  onMessage(message: unknown, reply: (answer: HoldReply) => void): boolean
  close(): Promise<void>
} {
  let held: { dataDir: string; engine: Engine } | undefined
  let opening: Promise<void> = Promise.resolve()
  return {
    onMessage(message, reply) {
      if (!isHoldRequest(message)) return false
      opening = opening.then(async () => {
        try {
          // Held as a client of another process (it owned the folder when dev started): that
          // owner may have gone since, so open again, which claims the folder if it has.
          const servedByOther = held !== undefined && (await held.engine.info().catch(() => undefined))?.embedded?.role !== 'owner'
          if (held?.dataDir !== message.dataDir || servedByOther) {
            await held?.engine.stop()
            held = undefined
            const lib = await resolveLibrary(configPath, [])
            const engine = lib.createEngine({ dataDir: message.dataDir, ...(message.queueSchema ? { queueSchema: message.queueSchema } : {}) })
            try {
              await engine.info()
            } catch (err) {
              await engine.stop().catch(() => undefined)
              throw err
            }
            held = { dataDir: message.dataDir, engine }
          }
          reply({ type: 'embedded-held' })
        } catch (err) {
          reply({ type: 'embedded-failed', message: (err as Error).message })
        }
      })
      return true
    },
    async close() {
      await opening
      await held?.engine.stop()
      held = undefined
    },
  }
}

/**
 * In a `pulse dev` worker on the embedded mode: has the supervisor open the data folder first, so
 * this worker becomes a client of it. Elsewhere (no supervisor, a database URL, in memory) it does nothing.
 */
export async function holdThroughSupervisor(loaded: LoadedConfig): Promise<void> {
  const dataDir = embeddedDataDir(loaded)
  if (loaded.config.database || dataDir === false || !process.send) return
  // Refused under CI before the supervisor creates a folder for nothing.
  refuseImplicitEmbeddedInCi(loaded)
  const request: HoldRequest = { type: 'hold-embedded', dataDir, ...(loaded.config.engine?.queueSchema ? { queueSchema: loaded.config.engine.queueSchema } : {}) }
  const answer = await new Promise<HoldReply>((resolve) => {
    const listen = (message: unknown) => {
      const m = message as Partial<HoldReply>
      if (m?.type !== 'embedded-held' && m?.type !== 'embedded-failed') return
      process.removeListener('message', listen)
      resolve(m as HoldReply)
    }
    process.on('message', listen)
    process.send!(request)
    // A supervisor that never answers must not hang the worker: it opens the folder itself.
    setTimeout(() => listen({ type: 'embedded-failed', message: 'no answer from pulse dev' }), HOLD_TIMEOUT_MS).unref()
  })
  // The worker opens the folder itself and reports the error in full.
  if (answer.type === 'embedded-failed') return
}

function isHoldRequest(message: unknown): message is HoldRequest {
  return typeof message === 'object' && message !== null && (message as HoldRequest).type === 'hold-embedded' && typeof (message as HoldRequest).dataDir === 'string'
}
