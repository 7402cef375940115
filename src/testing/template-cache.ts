import { createHash } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { cacheFolder, installedVersion, writeImage } from '../embedded/cache-folder.js'
import { migrationsSql, tablesFor, VIRTUAL_CLOCK_SQL } from '../store/index.js'

/**
 * The template database's image, kept on disk between test processes. Test runners start a
 * process (or a worker) per test file, and building the template means PGlite's initdb and every
 * migration: seconds per file, where loading the image takes a fraction of that. The file is
 * named by everything the image is made of (the engine's migrations and virtual clock, PGlite's
 * and BullMQ's versions), so an upgrade never loads a stale one; a file that cannot be read or
 * loaded is removed and the template built again. `PULSE_TEST_TEMPLATE_CACHE=off` turns it off,
 * and `PULSE_TEST_TEMPLATE_CACHE=<dir>` keeps the file in another folder (default: the user's
 * cache folder, as for the embedded mode's image of a new cluster).
 */
export interface TemplateCache {
  read(): Promise<Blob | undefined>
  write(image: Blob): Promise<void>
  forget(): Promise<void>
}

/** The cache for this process's template, or undefined when it is turned off. */
export function templateCache(): TemplateCache | undefined {
  const setting = process.env.PULSE_TEST_TEMPLATE_CACHE
  const name = templateKey()
  if (setting === 'off' || setting === '0' || setting === 'false' || name === undefined) return undefined
  const folder = setting ? setting : cacheFolder()
  const file = join(folder, `template-${name}.tar`)
  return {
    async read() {
      try {
        return new Blob([await readFile(file)])
      } catch {
        return undefined
      }
    },
    async write(image) {
      // Only saves time: a folder that cannot be written leaves the next process to build it again.
      await writeImage(file, image).catch(() => undefined)
    },
    async forget() {
      await rm(file, { force: true })
    },
  }
}

let key: string | null | undefined

/** Names the image by what it is made of; undefined (no cache) when a version cannot be read. */
function templateKey(): string | undefined {
  if (key === undefined) {
    const pglite = installedVersion('@electric-sql/pglite')
    const bullmq = installedVersion('bullmq')
    key =
      pglite && bullmq
        ? createHash('sha256').update(migrationsSql(tablesFor('pulse_'))).update(VIRTUAL_CLOCK_SQL).update(`pglite ${pglite} bullmq ${bullmq}`).digest('hex').slice(0, 24)
        : null
  }
  return key ?? undefined
}
