import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const STORE = resolve(import.meta.dirname, '../../src/store')

async function sqlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sqlFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))))
  return nested.flat()
}

describe('time in the engine SQL', () => {
  // The testing kit's clock replaces now() and clock_timestamp() through the search_path. SQL's
  // time keywords cannot be replaced that way, and a schema-qualified call would bypass it.
  it('reads the time only through now() and clock_timestamp(), unqualified', async () => {
    const offending: string[] = []
    for (const file of await sqlFiles(STORE)) {
      const text = await readFile(file, 'utf8')
      for (const m of text.matchAll(/\b(current_timestamp|current_time|current_date|localtimestamp|localtime|statement_timestamp|transaction_timestamp|timeofday)\b|pg_catalog\.(now|clock_timestamp)\(/gi)) {
        // The clock's own functions read the real clock when no virtual time is set.
        if (file.endsWith('virtual-clock.ts')) continue
        offending.push(`${file.slice(STORE.length + 1)}: ${m[0]}`)
      }
    }
    expect(offending).toEqual([])
  })
})
