import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import type { EmitJson, RunJson } from '../../src/cli/json-shapes.js'
import { DATABASE_URL } from '../support/services.js'
import { dropPostgresProject, makeProject, ok } from './support/cli.js'

const missing = process.env.PULSE_CLI_POSTGRES_MISSING

const WORKFLOWS = `import { z } from 'zod'
import { trigger, workflow } from 'pulse-engine'

export const accountChanged = trigger('account.changed', { source: 'crm', payload: z.object({ accountId: z.string() }) })
export const syncAccount = workflow('sync-account')
  .on(accountChanged)
  .concurrency({ limit: 1, key: 'payload.accountId' })
  .rateLimit({ limit: 2, per: '1h' })
  .do('push', () => ({ success: true }))
`

describe.skipIf(missing !== undefined)('postgres: flow control as the CLI shows it', () => {
  const id = randomBytes(4).toString('hex')
  const tablePrefix = `flw${id}_`
  const queuePrefix = `qflw${id}`
  const config = `import { defineConfig } from 'pulse-engine'
import { syncAccount } from './workflows/all.js'
export default defineConfig({ workflows: [syncAccount], tenants: ['acme'], database: ${JSON.stringify(DATABASE_URL)}, tablePrefix: '${tablePrefix}', queuePrefix: '${queuePrefix}' })
`
  const dir = makeProject({ 'pulse.config.ts': config, 'workflows/all.ts': WORKFLOWS }, { type: 'module' })
  const cwd = { cwd: dir }

  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
    await dropPostgresProject(pool, tablePrefix, queuePrefix)
    await pool.end()
  })

  it('emit says which run waits for a slot and which signal started none; runs and run say what a run waits for', async () => {
    await ok(['migrate'], cwd)
    await ok(['sync'], cwd)
    // No worker runs. Account a1's first run keeps its slot and its second waits for it: two runs
    // within the hour, so the next signal, for any account, is over the rate limit.
    const emit = (accountId: string) => ['emit', 'account.changed', '-t', 'acme', '-p', JSON.stringify({ accountId })]
    await ok(emit('a1'), cwd)
    const held = await ok(emit('a1'), cwd)
    expect(held).toMatch(/started run_\w+ sync-account \(pending, held by its concurrency\)/)
    const limited = JSON.parse(await ok([...emit('a2'), '--json'], cwd)) as EmitJson
    expect(limited.runs).toEqual([])
    expect(limited.skipped).toEqual([{ workflowKey: 'sync-account', definitionId: expect.stringMatching(/^wfd_/), reason: 'rate_limited' }])
    expect(await ok(emit('a3'), cwd)).toContain('no run of sync-account: over its rate limit')
    // The signals list says why a signal started no run, instead of "no run started".
    const signals = await ok(['signals', '-t', 'acme'], cwd)
    expect(signals.split('\n').filter((line) => line.includes('no run of sync-account: over its rate limit'))).toHaveLength(2)
    expect(signals).not.toContain('no run started')

    expect(await ok(['runs', '-t', 'acme'], cwd)).toContain('waits for a concurrency slot')
    const runs = JSON.parse(await ok(['runs', '-t', 'acme', '--json'], cwd)) as RunJson[]
    expect(runs.map((r) => r.heldBy)).toEqual(['concurrency', null])
    const waiting = runs.find((r) => r.heldBy)!
    const shown = await ok(['run', waiting.id], cwd)
    expect(shown).toMatch(/status\s+pending \(waits for a concurrency slot\)/)
    expect(shown).toMatch(/flow\s+concurrency 1 per payload\.accountId \(queue\); rate limit 2 per 1h per tenant/)
  })
})
