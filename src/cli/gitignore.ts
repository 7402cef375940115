import { existsSync } from 'node:fs'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Lines of a .gitignore that already keep `.pulse/` out of git. */
const COVERS_PULSE = new Set(['.pulse', '.pulse/', '/.pulse', '/.pulse/', '.pulse/*', '/.pulse/*'])

/**
 * Adds `.pulse/` (the embedded database's data folder) to the .gitignore in `dir`, creating the
 * file if needed. Returns what it did, or undefined when the entry was already there.
 */
export async function ignorePulseFolder(dir: string): Promise<'created' | 'updated' | undefined> {
  const path = join(dir, '.gitignore')
  if (!existsSync(path)) {
    await writeFile(path, '# pulse-engine: the embedded database\n.pulse/\n')
    return 'created'
  }
  const text = await readFile(path, 'utf8')
  if (text.split(/\r?\n/).some((line) => COVERS_PULSE.has(line.trim()))) return undefined
  await appendFile(path, `${text.length > 0 && !text.endsWith('\n') ? '\n' : ''}.pulse/\n`)
  return 'updated'
}
