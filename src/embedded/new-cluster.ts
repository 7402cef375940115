import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { cacheFolder, installedVersion, writeImage } from './cache-folder.js'

/** The image of a new cluster, named by the PGlite version whose initdb made it. */
function imagePath(): string {
  return join(cacheFolder(), `pglite-${installedVersion('@electric-sql/pglite') ?? 'unknown'}-new-cluster.tar`)
}

/**
 * Opens PGlite on a database that does not exist yet (`dir`, or in memory). initdb is most of the
 * time a new embedded database takes (seconds on a small machine) and makes the same cluster every
 * time, so the first one is saved as an image and later ones are unpacked from it, as PGlite's own
 * clone() does. Any trouble with the image falls back to initdb: the image only saves time.
 * `keep` names the files already in `dir` that are not the database (the owner record).
 */
export async function createNewCluster(dir: string | undefined, keep: (name: string) => boolean = () => false): Promise<PGlite> {
  const path = imagePath()
  let image = await readFile(path).then((bytes) => new Blob([bytes]), () => undefined)
  if (!image) {
    // Made in memory even for a folder: a folder's image would hold its owner record too.
    const db = await PGlite.create()
    image = await saveImage(db, path).catch(() => undefined)
    if (dir === undefined) return db
    await db.close()
    if (!image) return PGlite.create(dir)
  }
  try {
    return await PGlite.create(dir, { loadDataDir: image })
  } catch {
    // Left by another PGlite version (its Postgres refuses the catalog) or damaged: initdb it is.
    await rm(path, { force: true })
    if (dir !== undefined) await removeDatabaseFiles(dir, keep)
    return PGlite.create(dir)
  }
}

/** Saves the image of a cluster nothing was written to yet, and returns it. */
async function saveImage(db: PGlite, path: string): Promise<Blob> {
  const image = await db.dumpDataDir('none')
  await writeImage(path, image)
  return image
}

async function removeDatabaseFiles(dir: string, keep: (name: string) => boolean): Promise<void> {
  for (const name of await readdir(dir)) if (!keep(name)) await rm(join(dir, name), { recursive: true, force: true })
}
