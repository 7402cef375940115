import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { templateCache } from '../../src/testing/template-cache.js'

const exec = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')

/** Runs one test process (test/fixtures/test-engine-process.ts) with the cache in `folder`. */
async function testProcess(folder: string): Promise<{ completed: boolean }> {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'test/fixtures/test-engine-process.ts'], {
    cwd: ROOT,
    env: { ...process.env, PULSE_TEST_TEMPLATE_CACHE: folder },
    timeout: 120_000,
  })
  return JSON.parse(stdout.trim().split('\n').pop()!) as { completed: boolean }
}

async function image(folder: string): Promise<{ name: string; size: number; mtimeMs: number }> {
  const files = (await readdir(folder)).filter((f) => f.endsWith('.tar'))
  expect(files).toHaveLength(1)
  const info = await stat(join(folder, files[0]!))
  return { name: files[0]!, size: info.size, mtimeMs: info.mtimeMs }
}

describe('the template database kept between test processes', () => {
  const folders: string[] = []
  afterAll(() => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))))

  it('is written by the first process, loaded as it is by the next, and built again when damaged', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'pulse-template-cache-'))
    folders.push(folder)

    expect(await testProcess(folder)).toEqual({ completed: true })
    const written = await image(folder)
    expect(written.name).toMatch(/^template-[0-9a-f]{24}\.tar$/)
    expect(written.size).toBeGreaterThan(1_000_000)

    // Loaded, not built: a build would have written the file again.
    expect(await testProcess(folder)).toEqual({ completed: true })
    expect(await image(folder)).toEqual(written)

    // A damaged image is dropped and a whole one written in its place.
    await writeFile(join(folder, written.name), 'not a database')
    expect(await testProcess(folder)).toEqual({ completed: true })
    const rebuilt = await image(folder)
    expect(rebuilt.name).toBe(written.name)
    expect(rebuilt.size).toBeGreaterThan(1_000_000)
  })

  it('keeps nothing when turned off, and reads back what it wrote otherwise', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'pulse-template-cache-unit-'))
    folders.push(folder)
    const setting = process.env.PULSE_TEST_TEMPLATE_CACHE
    try {
      process.env.PULSE_TEST_TEMPLATE_CACHE = 'off'
      expect(templateCache()).toBeUndefined()
      process.env.PULSE_TEST_TEMPLATE_CACHE = folder
      const cache = templateCache()!
      expect(await cache.read()).toBeUndefined()
      await cache.write(new Blob(['an image']))
      expect(await (await cache.read())!.text()).toBe('an image')
      await cache.forget()
      expect(await cache.read()).toBeUndefined()
    } finally {
      if (setting === undefined) delete process.env.PULSE_TEST_TEMPLATE_CACHE
      else process.env.PULSE_TEST_TEMPLATE_CACHE = setting
    }
  })
})
