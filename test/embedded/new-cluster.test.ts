import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installedVersion } from '../../src/embedded/cache-folder.js'
import { createNewCluster } from '../../src/embedded/new-cluster.js'

// The image lives in the user's cache folder; this file points that folder at a temporary one.
describe('a new embedded database starts from the image of a new cluster', () => {
  const dirs: string[] = []
  const temp = async (name: string) => {
    const dir = await mkdtemp(join(tmpdir(), name))
    dirs.push(dir)
    return dir
  }
  const cacheHome = process.env.XDG_CACHE_HOME
  afterAll(async () => {
    if (cacheHome === undefined) delete process.env.XDG_CACHE_HOME
    else process.env.XDG_CACHE_HOME = cacheHome
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  let image = ''
  beforeAll(async () => {
    process.env.XDG_CACHE_HOME = await temp('pulse-cache-')
    image = join(process.env.XDG_CACHE_HOME, 'pulse-engine', `pglite-${installedVersion('@electric-sql/pglite')}-new-cluster.tar`)
  })

  it('saves the image once and unpacks it into a new folder beside the files it keeps', async () => {
    const memory = await createNewCluster(undefined)
    expect((await memory.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }])
    await memory.close()
    expect((await stat(image)).size).toBeGreaterThan(0)

    const folder = await temp('pulse-new-cluster-')
    await writeFile(join(folder, 'pulse-owner.json'), 'the owner record')
    const fromImage = await createNewCluster(folder, (name) => name === 'pulse-owner.json')
    await fromImage.exec('CREATE TABLE kept (id int)')
    await fromImage.close()
    expect(await readFile(join(folder, 'PG_VERSION'), 'utf8')).toMatch(/^\d+/)
    expect(await readFile(join(folder, 'pulse-owner.json'), 'utf8')).toBe('the owner record')
  })

  // Each initdb takes seconds, so each test makes one.
  it('makes the database with initdb when the image cannot be used, and drops that image', async () => {
    await mkdir(dirname(image), { recursive: true })
    await writeFile(image, 'not a tar file')
    const second = await temp('pulse-new-cluster-')
    await writeFile(join(second, 'pulse-owner.json'), 'the owner record')
    const despiteImage = await createNewCluster(second, (name) => name === 'pulse-owner.json')
    expect((await despiteImage.query('SELECT 1')).rows).toHaveLength(1)
    await despiteImage.close()
    expect(await readFile(join(second, 'pulse-owner.json'), 'utf8')).toBe('the owner record')
    // An image that failed is gone, so the next new database makes a good one again.
    await expect(stat(image)).rejects.toThrow()
  })
})
