import type { EmbeddedDatabase } from '../embedded/embedded-database.js'
import { resetTestDatabase } from '../store/index.js'
import { openTestDatabase } from './template-database.js'

/** How long a database nobody uses stays open for the next test before it is closed. */
const IDLE_CLOSE_MS = 1000

const idle: { db: EmbeddedDatabase; timer: ReturnType<typeof setTimeout> }[] = []

/**
 * A test database for one test engine: one a stopped engine handed back (emptied), or a new copy
 * of the template when every copy is in use, as with tests running concurrently. Copying the
 * template means starting another PGlite, which costs about a second on a small machine;
 * emptying one costs milliseconds.
 */
export async function takeTestDatabase(tables: { schema: string; prefix: string }): Promise<EmbeddedDatabase> {
  const reused = idle.pop()
  if (reused) clearTimeout(reused.timer)
  const db = reused?.db ?? (await openTestDatabase())
  let returned = false
  return {
    ...db,
    async close() {
      if (returned) return
      returned = true
      try {
        await resetTestDatabase(db.pool, tables)
      } catch {
        await db.close()
        return
      }
      // Closed when no test takes it soon, so a test process can exit.
      const timer = setTimeout(() => {
        const at = idle.findIndex((entry) => entry.db === db)
        if (at >= 0) idle.splice(at, 1)
        void db.close()
      }, IDLE_CLOSE_MS)
      idle.push({ db, timer })
    },
  }
}
