import type { Engine } from '../../index.js'
import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { describeError, maskUrl } from '../errors.js'
import { loadConfig, type LoadedConfig } from '../load-config.js'
import type { Output } from '../output.js'
import { openEngine, type EngineSession } from '../session.js'

/** One check of `pulse doctor`: `skip` when an earlier failure makes it meaningless, `warn` when it could not tell. */
export interface DoctorCheck {
  name: 'config' | 'connection' | 'migrations' | 'redis-eviction' | 'consistency'
  status: 'ok' | 'fail' | 'warn' | 'skip'
  detail: string
  /** What to do about a failure or warning. */
  fix: string | null
}

/** Problems of `engine.verify()` shown in the text output; --json has them all. */
const SHOWN_PROBLEMS = 5

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'Checks the setup: config, database connection, migrations, Redis eviction policy and the consistency of the stored runs.',
  details: 'Prints each check as ok / warn / fail with what to do; exits 1 if any check fails. Read-only.',
  flags: { ...JSON_FLAG, ...CONFIG_FLAG },
  examples: ['pulse doctor', 'DATABASE_URL=postgres://prod-replica/app pulse doctor --json | jq ".checks[] | select(.status != \\"ok\\")"'],
  async run({ flags, cwd, output }) {
    const checks = await runChecks(cwd, flags.config as string | undefined)
    const ok = checks.every((c) => c.status !== 'fail')
    if (flags.json === true) output.json({ ok, checks })
    else printChecks(output, checks, ok)
    return ok ? 0 : 1
  },
}

async function runChecks(cwd: string, configPath: string | undefined): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = []
  const skipRest = (reason: string) => {
    for (const name of ['connection', 'migrations', 'redis-eviction', 'consistency'] as const) {
      if (!checks.some((c) => c.name === name)) checks.push({ name, status: 'skip', detail: reason, fix: null })
    }
    return checks
  }

  let loaded: LoadedConfig
  try {
    loaded = await loadConfig(cwd, configPath)
    checks.push({ name: 'config', status: 'ok', detail: `${loaded.path}: ${loaded.workflows.length} workflow${loaded.workflows.length === 1 ? '' : 's'}`, fix: null })
  } catch (err) {
    checks.push({ name: 'config', status: 'fail', detail: (err as Error).message, fix: 'fix the config file, or run "pulse init" to create one' })
    return skipRest('the config did not load')
  }

  let session: EngineSession
  try {
    session = await openEngine(loaded, { readOnly: true })
  } catch (err) {
    checks.push({
      name: 'connection',
      status: 'fail',
      detail: (err as Error).message,
      fix: loaded.config.database ? `check "database" (and "redis") in ${loaded.name} and that the servers are running` : 'check the data directory',
    })
    return skipRest('no connection')
  }
  try {
    const redis = loaded.config.redis ? `, Redis at ${maskUrl(loaded.config.redis)}` : ''
    checks.push({ name: 'connection', status: 'ok', detail: `${session.mode} mode: ${session.target}${redis}`, fix: null })
    await checkEngine(session.engine, loaded, checks)
  } finally {
    await session.close()
  }
  return checks
}

async function checkEngine(engine: Engine, loaded: LoadedConfig, checks: DoctorCheck[]): Promise<void> {
  let health: Awaited<ReturnType<Engine['health']>>
  try {
    health = await engine.health()
  } catch (err) {
    checks.push({ name: 'migrations', status: 'fail', detail: describeError(err, loaded.config), fix: 'check that the database is reachable' })
    checks.push({ name: 'redis-eviction', status: 'skip', detail: 'the database did not answer', fix: null })
    checks.push({ name: 'consistency', status: 'skip', detail: 'the database did not answer', fix: null })
    return
  }
  const { tablePrefix } = await engine.info()
  const { version, latest } = health.schema
  if (version === null) {
    checks.push({ name: 'migrations', status: 'fail', detail: `the engine's tables (prefix "${tablePrefix}") do not exist`, fix: 'run "pulse migrate"' })
  } else if (version < latest) {
    checks.push({ name: 'migrations', status: 'fail', detail: `tables "${tablePrefix}*" are at schema version ${version}; this pulse-engine needs ${latest}`, fix: 'run "pulse migrate"' })
  } else if (version > latest) {
    checks.push({ name: 'migrations', status: 'fail', detail: `tables "${tablePrefix}*" are at schema version ${version}, newer than this pulse-engine knows (${latest})`, fix: 'upgrade pulse-engine' })
  } else {
    checks.push({ name: 'migrations', status: 'ok', detail: `tables "${tablePrefix}*" are at schema version ${version} (latest)`, fix: null })
  }

  const policy = health.redisPolicy
  if (!policy) checks.push({ name: 'redis-eviction', status: 'skip', detail: `no Redis: the ${health.mode} mode queues jobs in Postgres`, fix: null })
  else if (policy.ok === true) checks.push({ name: 'redis-eviction', status: 'ok', detail: 'maxmemory-policy is noeviction', fix: null })
  else if (policy.ok === false) {
    checks.push({
      name: 'redis-eviction',
      status: 'fail',
      detail: `maxmemory-policy is "${policy.policy}": a full Redis deletes queued jobs and cron schedulers`,
      fix: "run CONFIG SET maxmemory-policy noeviction (or set it in redis.conf / your provider's settings)",
    })
  } else {
    checks.push({
      name: 'redis-eviction',
      status: 'warn',
      detail: `could not read maxmemory-policy: ${policy.reason}`,
      fix: "make sure it is noeviction in your provider's settings",
    })
  }

  if (version !== latest) {
    checks.push({ name: 'consistency', status: 'skip', detail: 'the tables are not up to date', fix: null })
    return
  }
  const report = await engine.verify()
  if (report.ok) {
    checks.push({ name: 'consistency', status: 'ok', detail: 'engine.verify() found no stuck or inconsistent runs', fix: null })
    return
  }
  const shown = report.problems.slice(0, SHOWN_PROBLEMS).map((p) => `${p.kind} in ${p.runId}: ${p.detail}`)
  const more = report.problems.length > SHOWN_PROBLEMS || report.truncated ? `; ${report.truncated ? 'at least ' : ''}${report.problems.length} in all` : ''
  checks.push({
    name: 'consistency',
    status: 'fail',
    detail: `engine.verify() found ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`,
    fix: 'look at the runs named ("pulse run <id>"); stuck steps are picked up again by a running worker\'s reconciler, so start one ("pulse worker") and check again',
  })
}

function printChecks(output: Output, checks: DoctorCheck[], ok: boolean): void {
  const mark = { ok: output.green('ok  '), fail: output.red('fail'), warn: output.yellow('warn'), skip: output.dim('skip') }
  const pad = Math.max(...checks.map((c) => c.name.length))
  for (const check of checks) {
    output.out(`${mark[check.status]}  ${check.name.padEnd(pad)}  ${check.status === 'skip' ? output.dim(check.detail) : check.detail}`)
    if (check.fix && check.status !== 'ok') output.out(`      ${' '.repeat(pad)}  ${output.cyan('->')} ${check.fix}`)
  }
  output.out('')
  output.out(ok ? output.green('all checks passed') : output.red(`${checks.filter((c) => c.status === 'fail').length} check(s) failed`))
}
