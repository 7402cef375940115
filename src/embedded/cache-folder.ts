import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * The folder where database images are kept between processes: the user's cache folder
 * (`$XDG_CACHE_HOME/pulse-engine`, else `~/.cache/pulse-engine`), not a shared temporary one,
 * since whoever can write an image decides what the databases made from it hold.
 */
export function cacheFolder(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pulse-engine')
}

/** Writes an image to `path` under a temporary name and renames it, so no process reads half of one. */
export async function writeImage(path: string, image: Blob): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const partial = `${path}.${randomUUID()}`
  try {
    await writeFile(partial, new Uint8Array(await image.arrayBuffer()), { mode: 0o600 })
    await rename(partial, path)
  } finally {
    await rm(partial, { force: true })
  }
}

/** The version of an installed package, read from the package.json above its entry point; undefined when it cannot be found. */
export function installedVersion(name: string): string | undefined {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name))
    for (;;) {
      const manifest = join(dir, 'package.json')
      if (existsSync(manifest)) {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string }
        if (pkg.name === name && pkg.version) return pkg.version
      }
      const parent = dirname(dir)
      if (parent === dir) return undefined
      dir = parent
    }
  } catch {
    return undefined
  }
}
