import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunDetailJson, RunJson, SignalJson, StepJson, TimelineEntryJson } from '../../src/cli/json-shapes.js'
import { FIXTURE_WORKFLOWS, fixtureConfig, makeProject, ok, runCli, startCli } from './support/cli.js'

// Each command opens the embedded database (one process at a time), so the tests of a block run
// in order on one project directory.

describe('embedded: init -> sync --dry-run -> sync -> emit -> runs', () => {
  const dir = makeProject({})
  const cwd = { cwd: dir }

  it('stores the starter workflow and starts a run from an emitted signal', async () => {
    await ok(['init'], cwd)

    const dry = await ok(['sync', '--dry-run'], cwd)
    expect(dry).toContain('workspace_1: 1 created, 0 updated, 0 unchanged, 0 disabled')
    expect(dry).toContain('+ welcome-new-user  created v1')
    expect(dry).toContain('Dry run, nothing written: 1 tenant, 1 created')

    const synced = await ok(['sync'], cwd)
    expect(synced).toContain('Synced: 1 tenant, 1 created, 0 updated, 0 unchanged, 0 disabled')
    // A second dry run sees what the first sync stored.
    const plan = JSON.parse(await ok(['sync', '--dry-run', '--json'], cwd)) as { dryRun: boolean; summary: Record<string, number> }
    expect(plan.dryRun).toBe(true)
    expect(plan.summary).toEqual({ tenants: 1, created: 0, updated: 0, unchanged: 1, disabled: 0 })

    const emitted = await ok(['emit', 'user.signed_up', '--tenant', 'workspace_1', '--payload', '{"email":"ada@example.com"}'], cwd)
    const runId = emitted.match(/started (run_\w+) welcome-new-user \(pending\)/)?.[1]
    expect(runId, emitted).toBeDefined()

    const runs = JSON.parse(await ok(['runs', '--json'], cwd)) as RunJson[]
    expect(runs.map((r) => [r.id, r.tenantId, r.status, r.workflowKey])).toEqual([[runId, 'workspace_1', 'pending', 'welcome-new-user']])
    const table = await ok(['runs', '--tenant', 'workspace_1'], cwd)
    expect(table).toMatch(/^RUN\s+WORKFLOW\s+TENANT\s+STATUS/m)
    expect(table).toContain(`${runId}  welcome-new-user  workspace_1  pending`)
  })

  it('rejects a payload its trigger schema does not accept, and stores nothing', async () => {
    const result = await runCli(['emit', 'user.signed_up', '--tenant', 'workspace_1', '--payload', '{"email":42}'], cwd)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('email')
    expect(JSON.parse(await ok(['runs', '--json'], cwd))).toHaveLength(1)
  })

  it('migrates an up-to-date database again without complaint', async () => {
    expect(await ok(['migrate'], cwd)).toContain('migrated tables "pulse_*"')
  })
})

describe('embedded: operating runs', () => {
  const dir = makeProject({ 'pulse.config.ts': fixtureConfig(`  dataDir: '.data',`), 'workflows/fixtures.ts': FIXTURE_WORKFLOWS })
  const cwd = { cwd: dir }
  let failedRunId = ''
  let slowRunId = ''
  let slowTriggerId = ''

  it('runs queued work in pulse dev, logs each step, reloads on a config change and stops on SIGINT', async () => {
    await ok(['sync', '--tenant', 'tenant_a'], cwd)
    const emitted = JSON.parse(await ok(['emit', 'payment.failed', '--tenant', 'tenant_a', '--json'], cwd)) as SignalJson
    failedRunId = emitted.runs[0]!.id

    const dev = startCli(['dev', '--tenant', 'tenant_a'], cwd)
    try {
      await dev.waitFor(/ready embedded engine on the embedded database in .*\.data/)
      await dev.waitFor(new RegExp(`${failedRunId} always-fails charge_again action failed .*card declined`))
      await dev.waitFor(new RegExp(`${failedRunId} always-fails run failed in`))
      const mark = dev.output().length
      appendFileSync(join(dir, 'pulse.config.ts'), '// edited\n')
      await dev.waitFor(/change pulse\.config\.ts; reloading/, { from: mark })
      await dev.waitFor(/ready embedded engine/, { from: mark })
    } finally {
      expect(await dev.stop('SIGINT')).toBe(0)
    }
    expect(dev.output()).toMatch(/stopped\n$/)
  })

  it('shows a run with its steps, durations and timeline', async () => {
    const text = await ok(['run', failedRunId], cwd)
    expect(text).toMatch(new RegExp(`^run\\s+${failedRunId}$`, 'm'))
    expect(text).toMatch(/^status\s+failed$/m)
    expect(text).toMatch(/^error\s+.*card declined/m)
    expect(text).toMatch(/^0\s+charge_again\s+action\s+failed\s+1\s+\d+ms\s+card declined/m)
    expect(text).toMatch(/Timeline\nTIME \(UTC\)\s+AFTER\s+EVENT/)
    expect(text).toMatch(/\+\d+(ms|\.\ds|s)\s+step_failed\s+charge_again/)

    const json = JSON.parse(await ok(['run', failedRunId, '--json'], cwd)) as { run: RunDetailJson; steps: StepJson[]; timeline: TimelineEntryJson[] }
    expect(json.run.status).toBe('failed')
    expect(json.steps.map((s) => [s.name, s.status])).toEqual([['charge_again', 'failed']])
    expect(json.timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['run_created', 'step_started', 'step_failed', 'run_failed']))
  })

  it('retries a failed run', async () => {
    const failed = JSON.parse(await ok(['runs', '--status', 'failed', '--json'], cwd)) as RunJson[]
    expect(failed.map((r) => r.id)).toEqual([failedRunId])
    expect(await ok(['retry', failedRunId], cwd)).toContain(`retrying ${failedRunId} (always-fails), now running`)
    const { run } = JSON.parse(await ok(['run', failedRunId, '--json'], cwd)) as { run: RunDetailJson }
    expect(run.status).toBe('running')
    const again = await runCli(['retry', failedRunId], cwd)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('only a failed run can be retried')
  })

  it('cancels a waiting run with a reason', async () => {
    const emitted = JSON.parse(await ok(['emit', 'reminder.requested', '--tenant', 'tenant_a', '--json'], cwd)) as SignalJson
    expect(emitted.runs.map((r) => r.workflowKey)).toEqual(['slow-reminder'])
    slowRunId = emitted.runs[0]!.id
    slowTriggerId = emitted.id
    expect(await ok(['cancel', slowRunId, '--reason', 'not needed'], cwd)).toContain(`canceled ${slowRunId} (slow-reminder)`)
    const { run } = JSON.parse(await ok(['run', slowRunId, '--json'], cwd)) as { run: RunDetailJson }
    expect([run.status, run.cancelReason]).toEqual(['canceled', 'not needed'])
    const again = await runCli(['cancel', slowRunId], cwd)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('cannot be canceled')
  })

  it('replays a stored signal as a dry run', async () => {
    const replayed = JSON.parse(await ok(['replay', slowTriggerId, '--dry-run', '--json'], cwd)) as RunJson[]
    expect(replayed).toHaveLength(1)
    expect(replayed[0]!.id).not.toBe(slowRunId)
    expect([replayed[0]!.isReplay, replayed[0]!.triggerId, replayed[0]!.workflowKey]).toEqual([true, slowTriggerId, 'slow-reminder'])
    const runs = JSON.parse(await ok(['runs', '--workflow', 'slow-reminder', '--json'], cwd)) as RunJson[]
    expect(runs.map((r) => r.id).sort()).toEqual([slowRunId, replayed[0]!.id].sort())
  })

  it('says when a run or signal does not exist', async () => {
    const run = await runCli(['run', 'run_missing'], cwd)
    expect([run.code, run.stderr.trim()]).toEqual([1, 'error: run "run_missing" does not exist; list runs with "pulse runs"'])
    const retry = await runCli(['cancel', 'run_missing'], cwd)
    expect([retry.code, retry.stderr.trim()]).toEqual([1, 'error: run "run_missing" does not exist; list runs with "pulse runs"'])
    const replay = await runCli(['replay', 'trg_missing'], cwd)
    expect(replay.code).toBe(1)
    expect(replay.stderr).toContain('signal "trg_missing" does not exist')
  })

  it('reports a dry-run plan per tenant: synced tenants unchanged, new ones created', async () => {
    const plan = JSON.parse(await ok(['sync', '--dry-run', '--json'], cwd)) as {
      tenants: { tenantId: string; created: { key: string }[]; unchanged: { key: string }[] }[]
    }
    expect(plan.tenants.map((t) => [t.tenantId, t.created.length, t.unchanged.length])).toEqual([
      ['tenant_a', 0, 3],
      ['tenant_b', 3, 0],
    ])
  })
})
