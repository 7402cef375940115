import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, runNode } from './support/cli.js'

const EXAMPLE = join(ROOT, 'examples/quick-start.ts')

/** The ```ts block right under "## Quick start" in the README. */
function readmeQuickStart(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Quick start\n'))
  const match = section.match(/^```ts\n([\s\S]*?)^```$/m)
  if (!match || section.indexOf(match[0]) > section.indexOf('\n## ', 1)) throw new Error('README.md has no ```ts block under "## Quick start"')
  return match[1]!
}

describe('the README quick start', () => {
  it('is examples/quick-start.ts, word for word (which tsc type-checks)', () => {
    expect(readmeQuickStart()).toBe(readFileSync(EXAMPLE, 'utf8'))
  })

  it('runs as written: prints the page and the finished run, then exits 0', async () => {
    // Run as a user would: tsx, importing 'pulse-engine' (the package itself, built by the global setup).
    const result = await runNode(['--import', 'tsx', EXAMPLE], { cwd: ROOT, env: { NO_COLOR: '1' } })
    expect(result, result.stderr).toMatchObject({ code: 0 })
    expect(result.stdout).toBe("paging on-call about inc_1\nrun completed: { create_incident: { incidentId: 'inc_1' }, page_oncall: {} }\n")
  })
})
