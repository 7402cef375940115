import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURE_WORKFLOWS, fixtureConfig, makeProject, ok, runCli, runNode, startCli } from './support/cli.js'

// Emits through the library from a process of its own, as an application beside `pulse dev` would.
const EMITTER = `import { createEngine } from 'pulse-engine'
const [dataDir, count, tag] = process.argv.slice(2)
const engine = createEngine({ dataDir, allowUnregisteredTriggers: true })
const ids = await Promise.all(Array.from({ length: Number(count) }, (_, i) =>
  engine.emit({ tenantId: 'tenant_a', type: 'reminder.requested', source: 'app', payload: { tag, i } }).then((s) => s.id)))
console.log(JSON.stringify({ embedded: (await engine.info()).embedded, ids }))
await engine.stop()
`

// Reads what survived, and checks the engine's own invariants over it.
const INSPECTOR = `import { createEngine } from 'pulse-engine'
const engine = createEngine({ dataDir: process.argv[2] })
const runs = await engine.listRuns({ limit: 1000 })
const report = await engine.verify()
console.log(JSON.stringify({ role: (await engine.info()).embedded.role, runs: runs.map((r) => ({ id: r.id, key: r.definitionSnapshot.key, status: r.status, triggerId: r.triggerId })), problems: report.problems }))
await engine.stop()
`

/** Children of a process (the pulse dev worker), from /proc. */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
      } catch {
        return false
      }
    })
    .map(Number)
}

describe('embedded: pulse dev owns the data folder, other processes go through it', () => {
  const dir = makeProject({ 'pulse.config.ts': fixtureConfig(`  dataDir: '.data',`), 'workflows/fixtures.ts': FIXTURE_WORKFLOWS, 'emit-many.mjs': EMITTER, 'inspect.mjs': INSPECTOR })
  const cwd = { cwd: dir }
  const dataDir = join(dir, '.data')

  it('takes 200 signals, reads and a sync from other processes while dev runs, and loses nothing to a SIGKILL', async () => {
    const dev = startCli(['dev', '--tenant', 'tenant_a'], cwd)
    let devPid = dev.proc.pid!
    try {
      await dev.waitFor(/ready embedded engine/, { timeoutMs: 90_000 })
      const owner = JSON.parse(readFileSync(join(dataDir, 'pulse-owner.json'), 'utf8')) as { pid: number; command: string; url: string }
      expect(owner).toMatchObject({ pid: devPid, command: 'pulse dev' })

      // 4 processes x 48 signals through the library, 8 through `pulse emit`, a read and a sync, all at once.
      const results = await Promise.all([
        ...[0, 1, 2, 3].map((n) => runNode(['emit-many.mjs', dataDir, '48', `lib${n}`], cwd)),
        ...Array.from({ length: 8 }, () => runCli(['emit', 'reminder.requested', '--tenant', 'tenant_a', '--json'], cwd)),
        runCli(['runs', '--json', '--limit', '1000'], cwd),
        runCli(['sync', '--tenant', 'tenant_a'], cwd),
      ])
      for (const r of results) expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0)
      const emitted = results.slice(0, 4).map((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { embedded: { role: string; owner: { pid: number } }; ids: string[] })
      for (const e of emitted) expect(e.embedded).toMatchObject({ role: 'client', owner: { pid: devPid } })
      const cliIds = results.slice(4, 12).map((r) => (JSON.parse(r.stdout) as { id: string }).id)
      const signalIds = new Set([...emitted.flatMap((e) => e.ids), ...cliIds])
      expect(signalIds.size).toBe(200)
      expect(results[13]!.stdout).toContain('Synced: 1 tenant')

      // A run emitted from another terminal is executed by dev.
      const failing = JSON.parse(await ok(['emit', 'payment.failed', '--tenant', 'tenant_a', '--json'], cwd)) as { runs: { id: string }[] }
      await dev.waitFor(new RegExp(`${failing.runs[0]!.id} always-fails run failed`))

      // An unclean stop of the owner, and of its worker.
      const worker = childPids(devPid)
      dev.proc.kill('SIGKILL')
      for (const pid of worker) process.kill(pid, 'SIGKILL')
      await dev.stop()
      devPid = 0
      expect(existsSync(join(dataDir, 'pulse-owner.json'))).toBe(true) // left behind: stale now

      const inspected = await runNode(['inspect.mjs', dataDir], cwd)
      expect(inspected.code, inspected.stderr).toBe(0)
      const after = JSON.parse(inspected.stdout) as { role: string; runs: { key: string; status: string; triggerId: string }[]; problems: unknown[] }
      expect(after.role).toBe('owner') // took the stale record over
      const reminders = after.runs.filter((r) => r.key === 'slow-reminder')
      expect(new Set(reminders.map((r) => r.triggerId))).toEqual(signalIds)
      expect(reminders.every((r) => r.status === 'waiting' || r.status === 'running')).toBe(true)
      expect(after.runs.find((r) => r.key === 'always-fails')?.status).toBe('failed')
      expect(after.problems).toEqual([])
      expect(existsSync(join(dataDir, 'pulse-owner.json'))).toBe(false) // released on a clean stop
    } finally {
      if (devPid) await dev.stop('SIGKILL')
    }
  })

  it('explains a damaged data folder: what happened, where, and how to recover', async () => {
    const broken = join(dir, 'broken')
    cpSync(dataDir, broken, { recursive: true })
    writeFileSync(join(broken, 'global/pg_control'), '')
    writeFileSync(join(dir, 'pulse.config.ts'), fixtureConfig(`  dataDir: 'broken',`))
    const result = await runCli(['runs'], cwd)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`the embedded database in ${broken} is damaged and cannot be opened`)
    expect(result.stderr).toContain('restore the folder from a backup, or remove it to start empty')
    expect(result.stderr).not.toMatch(/could not open .*could not open/)
    expect(result.stderr).not.toContain('another process')
    // The failed open leaves no owner record behind.
    expect(existsSync(join(broken, 'pulse-owner.json'))).toBe(false)
  })
})
