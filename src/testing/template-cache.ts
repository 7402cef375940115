import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { migrationsSql, tablesFor, VIRTUAL_CLOCK_SQL } from '../store/index.js'

/**
 * The template database's image, kept on disk between test processes. Test runners start a
 * process (or a worker) per test file, and building the template means PGlite's initdb and every
 * migration: seconds per file, where loading the image takes a fraction of that. The file is
 * named by everything the image is made of (the engine's migrations and virtual clock, PGlite's
 * and BullMQ's versions), so an upgrade never loads a stale one; a file that cannot be read or
 * loaded is removed and the template built again. `PULSE_TEST_TEMPLATE_CACHE=off` turns it off,
 * and `PULSE_TEST_TEMPLATE_CACHE=<dir>` keeps the file in another folder (default: the system's
 * temporary folder).
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
  const folder = setting ? setting : join(tmpdir(), 'pulse-engine-test-templates')
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
      // Written aside and renamed, so a process reading it at the same time sees all of it or none.
      const partial = `${file}.${process.pid}.${Date.now()}.partial`
      try {
        await mkdir(folder, { recursive: true })
        await writeFile(partial, Buffer.from(await image.arrayBuffer()))
        await rename(partial, file)
      } catch {
        await rm(partial, { force: true })
      }
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
    const pglite = packageVersion('@electric-sql/pglite')
    const bullmq = packageVersion('bullmq')
    key =
      pglite && bullmq
        ? createHash('sha256').update(migrationsSql(tablesFor('pulse_'))).update(VIRTUAL_CLOCK_SQL).update(`pglite ${pglite} bullmq ${bullmq}`).digest('hex').slice(0, 24)
        : null
  }
  return key ?? undefined
}

/** The version of an installed package, read from the package.json above its entry point. */
function packageVersion(name: string): string | undefined {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name))
    for (;;) {
      const manifest = join(dir, 'package.json')
      if (existsSync(manifest)) {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string }
        if (pkg.name === name && pkg.version) return pkg.version
      }
      const parent = dirname(dir)
      if (parent === dir) break
      dir = parent
    }
  } catch {
    // Not resolvable from here: no version, so no cache.
  }
  return undefined
}
