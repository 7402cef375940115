import { PGlite } from '@electric-sql/pglite'
import { createNewCluster } from '../embedded/new-cluster.js'
import { serveEmbeddedDatabase, type EmbeddedDatabase } from '../embedded/embedded-database.js'
import { createEngineWith } from '../engine/create-engine.js'
import { installVirtualClock, LATEST_SCHEMA_VERSION, schemaVersion, tablesFor, virtualClockSearchPath } from '../store/index.js'
import { templateCache } from './template-cache.js'
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
  const cache = templateCache()
  const cached = await cache?.read()
  if (cached) {
    const loaded = await loadTemplate(cached)
    if (loaded) return { image: cached, first: loaded }
    await cache?.forget()
  }
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
    const image = await db.dumpDataDir('none')
    await cache?.write(image)
    return { image, first: served }
  } catch (err) {
    await served.close()
    throw err
  }
}

/**
 * Builds the template database now (or loads it from the disk cache, see template-cache.ts), so
 * the first test of a process does not pay for it inside its own timeout: the first build is
 * PGlite creating a database and every migration, several seconds, more than the 5 s a test
 * gets by default in vitest and jest. Later calls return at once.
 *
 * @example
 * ```ts
 * beforeAll(() => prepareTestDatabase(), 60_000)
 * ```
 */
export async function prepareTestDatabase(): Promise<void> {
  await templateDatabase()
}

/** The template from a cached image, or undefined when the image does not load or is not a whole one. */
async function loadTemplate(image: Blob): Promise<EmbeddedDatabase | undefined> {
  let served: EmbeddedDatabase | undefined
  try {
    served = await serveEmbeddedDatabase(await PGlite.create({ loadDataDir: image }), { queueSchema: QUEUE_SCHEMA, searchPath: SEARCH_PATH })
    if ((await schemaVersion(served.pool, tablesFor('pulse_'))) === LATEST_SCHEMA_VERSION) return served
  } catch {
    // A damaged image: built again by the caller.
  }
  await served?.close().catch(() => undefined)
  return undefined
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
