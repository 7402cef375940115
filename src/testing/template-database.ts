import { PGlite } from '@electric-sql/pglite'
import { createNewCluster } from '../embedded/new-cluster.js'
import { serveEmbeddedDatabase, type EmbeddedDatabase } from '../embedded/embedded-database.js'
import { createEngineWith } from '../engine/create-engine.js'
import { installVirtualClock, virtualClockSearchPath } from '../store/index.js'
import type { EngineLogger } from '../types.js'

/** BullMQ's schema in the test databases (the engine's default). */
export const QUEUE_SCHEMA = 'bullmq'

/** The virtual clock's schema first, so every unqualified now() of the engine reads it. */
const SEARCH_PATH = virtualClockSearchPath([QUEUE_SCHEMA, 'public'])

/** Says nothing: the kit reports through its own errors and the tests' assertions. */
export const silentLogger: EngineLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

interface Template {
  image: Blob
  /** The database the image was taken from, handed to the first test engine instead of a copy. */
  first?: EmbeddedDatabase
}

let template: Promise<Template> | undefined

/**
 * The migrated database every test engine of this process starts from, as a PGlite data
 * directory image. Built once (PGlite, the virtual clock, the engine's tables and BullMQ's) and
 * copied for each test database after the first, so no test migrates.
 */
function templateDatabase(): Promise<Template> {
  template ??= buildTemplate().catch((err: unknown) => {
    template = undefined
    throw err
  })
  return template
}

async function buildTemplate(): Promise<Template> {
  const db = await createNewCluster(undefined)
  const served = await serveEmbeddedDatabase(db, { queueSchema: QUEUE_SCHEMA, searchPath: SEARCH_PATH })
  try {
    await installVirtualClock(served.pool)
    // The engine closes its database when it stops; this one stays open for the first test.
    const { engine } = createEngineWith({ dataDir: false, logger: silentLogger }, { openDatabase: async () => ({ ...served, close: async () => undefined }) })
    await engine.migrate()
    // start() opens the step queue and its worker, which create BullMQ's tables; stop() closes them.
    await engine.start()
    await engine.stop()
    return { image: await db.dumpDataDir('none'), first: served }
  } catch (err) {
    await served.close()
    throw err
  }
}

/** A new in-memory database, a copy of the template, served like the embedded mode's own. */
export async function openTestDatabase(): Promise<EmbeddedDatabase> {
  const built = await templateDatabase()
  const first = built.first
  if (first) {
    built.first = undefined
    return first
  }
  const db = await PGlite.create({ loadDataDir: built.image })
  return serveEmbeddedDatabase(db, { queueSchema: QUEUE_SCHEMA, searchPath: SEARCH_PATH })
}
