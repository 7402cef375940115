import { resolve } from 'node:path'
import type { EmbeddedDatabase } from '../embedded/embedded-database.js'
import { lazyPool } from '../embedded/lazy-pool.js'
import type { BackendSource } from '../queue/index.js'
import type { PoolLike } from '../store/index.js'
import type { ResolvedConfig } from './config.js'
import type { EngineInfo } from './engine.js'

/**
 * The one place that tells the modes apart: where the store's pool comes from and which backend
 * BullMQ uses. Everything after this is the same code in all three modes.
 */
export function connect(
  cfg: ResolvedConfig,
  /** Embedded mode: the database to use instead of opening `dataDir`, and how often its workers poll (the testing kit's). */
  embeddedSeams: { openDatabase?: () => Promise<EmbeddedDatabase>; pollMs?: number } = {},
): {
  pool: PoolLike
  backend: BackendSource
  embeddedInfo?: () => Promise<Pick<EngineInfo, 'databaseUrl' | 'embedded'>>
  closeDatabase: () => Promise<void>
} {
  const mode = cfg.mode
  if (mode.kind === 'redis') {
    return { pool: mode.db, backend: async () => ({ kind: 'redis', redis: mode.redis }), closeDatabase: async () => undefined }
  }
  if (mode.kind === 'postgres') {
    return {
      pool: mode.db,
      backend: async () => ({
        kind: 'postgres',
        connection: mode.queueConnection,
        schema: cfg.queueSchema,
        ...(mode.pollMs ? { pollSeconds: mode.pollMs / 1000 } : {}),
      }),
      closeDatabase: async () => undefined,
    }
  }
  let embedded: Promise<EmbeddedDatabase> | undefined
  // Loaded on demand: an application on its own Postgres never loads PGlite.
  const open = () =>
    (embedded ??= embeddedSeams.openDatabase?.() ?? import('../embedded/embedded-database.js').then(({ startEmbeddedDatabase }) =>
      startEmbeddedDatabase({
        dataDir: mode.dataDir,
        queueSchema: cfg.queueSchema,
        onWait: (message) => cfg.logger.info({ dataDir: mode.dataDir }, `pulse-engine: ${message}`),
      }),
    ))
  return {
    pool: lazyPool(async () => (await open()).pool),
    // The embedded server delivers no NOTIFY between connections, so its workers poll briefly.
    backend: async () => ({ kind: 'postgres', connection: (await open()).connectionString, schema: cfg.queueSchema, pollSeconds: (embeddedSeams.pollMs ?? 50) / 1000 }),
    async embeddedInfo() {
      const db = await open()
      return {
        databaseUrl: db.connectionString,
        embedded: { dataDir: mode.dataDir === false ? false : resolve(mode.dataDir), role: db.role, owner: db.owner },
      }
    },
    async closeDatabase() {
      const db = embedded
      embedded = undefined
      // A database that failed to open has nothing to close; its error reached the call that opened it.
      const opened = await db?.catch(() => undefined)
      await opened?.close()
    },
  }
}
