import { spawn, type ChildProcess } from 'node:child_process'
import { watch, type FSWatcher } from 'node:fs'
import { relative } from 'node:path'
import type { Engine, ExecutionLog, RunCompleteEvent, StepCompleteEvent } from '../../index.js'
import { CONFIG_FLAG, stringFlag, type CommandContext, type CommandSpec } from '../command.js'
import { embeddedHolder, holdThroughSupervisor } from '../dev-database.js'
import { maskUrl } from '../errors.js'
import { between } from '../format.js'
import { findConfig, loadConfig, type LoadedConfig } from '../load-config.js'
import type { Output } from '../output.js'
import { slowStep } from '../progress.js'
import { DEFAULT_DASHBOARD_PORT, parsePort, serveDashboard } from '../serve-dashboard.js'
import { openEngine } from '../session.js'
import { checkTenant, configTenants } from '../tenants.js'

/** Changes closer together than this (an editor saving several files) cause one reload. */
const DEBOUNCE_MS = 150

/** What `--fast-delays` multiplies delays by: a minute takes 60 ms, an hour 3.6 s, a day 86 s. */
export const FAST_DELAY_SCALE = 0.001

export const devCommand: CommandSpec = {
  name: 'dev',
  summary: "Runs the config's workflows locally: syncs them for the config's tenants, executes runs and logs each step.",
  details:
    'Uses the configured database, or the embedded one. Reloads when the config or a workflow file changes; Ctrl-C stops it. ' +
    'On the embedded database pulse dev owns the data folder while it runs: other commands and processes on the same folder connect through it.',
  flags: {
    tenant: { type: 'string', short: 't', multiple: true, value: '<id>', description: "sync only this tenant (repeatable; default: the config's tenants)" },
    'fast-delays': { type: 'boolean', description: `make every delay ${1 / FAST_DELAY_SCALE} times shorter (delayScale ${FAST_DELAY_SCALE}): a day passes in 86 s` },
    'dashboard-port': { type: 'string', value: '<port>', description: `serve the run dashboard on this port (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)` },
    'no-dashboard': { type: 'boolean', description: 'do not serve the run dashboard' },
    ...CONFIG_FLAG,
    worker: { type: 'boolean', hidden: true, description: 'run the engine in this process (pulse dev starts itself this way)' },
  },
  examples: ['pulse dev', 'pulse dev --fast-delays', 'DATABASE_URL=postgres://localhost/app pulse dev --tenant workspace_1'],
  run: (context) => (context.flags.worker === true ? runWorker(context) : supervise(context)),
}

/**
 * Restarts a worker process on every change. A fresh process is the only reliable way to drop
 * the old modules (ES modules cannot be unloaded) and to hand the embedded data directory over.
 */
async function supervise({ flags, cwd, cliPath, output }: CommandContext): Promise<number> {
  const configPath = findConfig(cwd, flags.config as string | undefined)
  // Checked here, so a bad port is a usage error before any engine starts.
  const dashboardPort = stringFlag(flags, 'dashboard-port')
  if (dashboardPort !== undefined) parsePort(dashboardPort, 'dev', '--dashboard-port')
  const passArgs = [
    ...((flags.tenant as string[] | undefined) ?? []).flatMap((t) => ['--tenant', t]),
    ...(flags['fast-delays'] === true ? ['--fast-delays'] : []),
    ...(dashboardPort !== undefined ? ['--dashboard-port', dashboardPort] : []),
    ...(flags['no-dashboard'] === true ? ['--no-dashboard'] : []),
  ]
  let child: ChildProcess | undefined
  let watchers: FSWatcher[] = []
  let stopping = false
  let reloading = false
  let pending: NodeJS.Timeout | undefined
  const database = embeddedHolder(configPath)

  const start = () => {
    const proc = spawn(process.execPath, [cliPath, 'dev', '--worker', '--config', configPath, ...passArgs], {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child = proc
    proc.on('message', (message: { type?: string; files?: string[] }) => {
      if (database.onMessage(message, (answer) => proc.connected && proc.send(answer))) return
      if (message.type === 'files' && Array.isArray(message.files)) watchFiles(message.files)
    })
    proc.on('exit', (code, signal) => {
      if (child === proc) child = undefined
      if (!stopping && !reloading) output.err(output.yellow(`pulse dev: the engine exited (${signal ?? `code ${code}`}); fix the problem and save a file to restart`))
    })
  }

  const stopChild = async () => {
    const proc = child
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    proc.kill('SIGTERM')
    const force = setTimeout(() => proc.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(force)
  }

  const reload = async (file: string) => {
    if (stopping) return
    if (reloading) {
      schedule(file) // a change during a reload gets a reload of its own
      return
    }
    reloading = true
    output.out(`${clock()} ${output.cyan('change')} ${relative(cwd, file) || file}; reloading`)
    await stopChild()
    reloading = false
    if (!stopping) start()
  }

  const schedule = (file: string) => {
    clearTimeout(pending)
    pending = setTimeout(() => void reload(file), DEBOUNCE_MS)
  }

  const watchFiles = (files: string[]) => {
    for (const w of watchers) w.close()
    watchers = []
    for (const file of new Set([configPath, ...files])) {
      try {
        const w = watch(file, () => schedule(file))
        w.on('error', () => undefined)
        watchers.push(w)
      } catch {
        // A file that vanished between load and watch is not worth failing for.
      }
    }
  }

  watchFiles([configPath])
  start()
  await new Promise<void>((resolve) => {
    const shutdown = () => {
      if (stopping) return
      stopping = true
      clearTimeout(pending)
      for (const w of watchers) w.close()
      void stopChild()
        .then(() => database.close())
        .catch((err: unknown) => output.err(output.yellow(`pulse dev: closing the embedded database failed: ${(err as Error).message}`)))
        .then(resolve)
    }
    process.on('SIGINT', shutdown)
    process.on('SIGTERM', shutdown)
    // A closed terminal: close the embedded database cleanly rather than die holding it.
    process.on('SIGHUP', shutdown)
  })
  output.out(`${clock()} stopped`)
  return 0
}

/** The engine itself: loads the config, syncs, starts workers and logs each step until told to stop. */
async function runWorker({ flags, cwd, output }: CommandContext): Promise<number> {
  let stopRequested: (() => void) | undefined
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve))
  // Ctrl-C reaches both processes; the supervisor's SIGTERM comes too. Either stops the engine once.
  process.on('SIGINT', () => stopRequested?.())
  process.on('SIGTERM', () => stopRequested?.())
  process.on('disconnect', () => stopRequested?.())

  const loaded = withFastDelays(await loadConfig(cwd, flags.config as string | undefined), flags['fast-delays'] === true)
  process.send?.({ type: 'files', files: loaded.files })
  await holdThroughSupervisor(loaded)
  const chosen = flags.tenant as string[] | undefined
  for (const id of chosen ?? []) await checkTenant(loaded, id)
  const tenants = chosen ?? (await configTenants(loaded)) ?? []

  const delayScale = loaded.config.engine?.delayScale ?? 1
  let engine: Engine | undefined
  let stopServing: (() => Promise<void>) | undefined
  const log = createStepLog(output, () => engine, delayScale)
  const session = await openEngine(loaded, {
    onStepComplete: log.step,
    onRunComplete: log.run,
    // Workflows stored by the application may use handlers only it has: dev runs the rest.
    missingHandlers: 'warn',
  })
  try {
    engine = session.engine
    const opened = engine
    await slowStep(undefined, 'migrating the tables', () => opened.migrate())
    for (const tenantId of tenants) {
      const plan = await engine.sync({ tenantId, workflows: loaded.workflows })
      output.out(
        `${clock()} synced ${tenantId}: ${plan.created.length} created, ${plan.updated.length} updated, ${plan.unchanged.length} unchanged`,
      )
    }
    await engine.start()
    const served = flags['no-dashboard'] === true ? undefined : await serveDashboard(engine, parsePort(stringFlag(flags, 'dashboard-port'), 'dev', '--dashboard-port')).catch((err: unknown) => {
      output.err(output.yellow(`pulse dev: no dashboard: ${(err as Error).message}`))
      return undefined
    })
    if (served) stopServing = served.close
    if (tenants.length === 0) output.out(output.yellow(`no tenants in ${loaded.name}: add tenants, or pass --tenant, so the workflows are synced`))
    const keys = loaded.workflows.map((wf) => wf.key).join(', ')
    // Every service the engine uses, so it is clear which database and queue dev is writing to.
    const redis = session.mode === 'redis' && loaded.config.redis ? ` with Redis at ${maskUrl(loaded.config.redis)}` : ''
    const delays = delayScale === 1 ? '' : `; delays ×${delayScale}`
    output.out(
      `${clock()} ${output.green('ready')} ${session.mode} engine on ${session.target}${redis}${delays}; workflows: ${keys || 'none'}; watching ${loaded.files.length} files (Ctrl-C to stop)`,
    )
    if (served) output.out(`${clock()} dashboard: ${served.url}`)
    await stopped
  } finally {
    await stopServing?.()
    await session.close()
  }
  return 0
}

/** The config with `engine.delayScale` set by `--fast-delays`. */
function withFastDelays(loaded: LoadedConfig, fast: boolean): LoadedConfig {
  if (!fast) return loaded
  return { ...loaded, config: { ...loaded.config, engine: { ...loaded.config.engine, delayScale: FAST_DELAY_SCALE } } }
}

/**
 * Prints each finished step, the log lines its handler wrote under it, and each run's end. The
 * hooks arrive in order, but reading a step's log lines takes a query: lines are printed one
 * event after the other, so a run's end never comes before its last step.
 */
function createStepLog(output: Output, engine: () => Engine | undefined, delayScale: number) {
  let printing = Promise.resolve()
  const inOrder = (work: () => Promise<void>) => {
    printing = printing.then(work).catch((err: unknown) => output.err(output.yellow(`pulse dev: could not print a step: ${(err as Error).message}`)))
  }
  const scaled = delayScale === 1 ? '' : ` ${output.dim(`(delays ×${delayScale})`)}`
  return {
    step(event: StepCompleteEvent) {
      inOrder(async () => {
        const { run, step } = event
        // A step's log lines are stored before the step is recorded as finished.
        const logs = (await engine()?.getRunLogs(run.id))?.filter((l) => l.stepRunId === step.id) ?? []
        // Branches are numbered from 0, as branchIndex is in the data (pulse run, pulse graph too).
        const where = step.branchIndex !== undefined ? ` (branch ${step.branchIndex})` : ''
        const error = step.errorMessage ? `  ${output.red(step.errorMessage)}` : ''
        output.out(
          `${clock()} ${output.dim(run.id)} ${workflowName(event)} ${output.bold(step.stepName)}${where} ${step.stepType} ${output.status(step.status)} ${output.dim(between(step.startedAt, step.completedAt))}${step.stepType === 'delay' ? scaled : ''}${error}`,
        )
        for (const line of logs) output.out(logLine(output, line))
      })
    },
    run(event: RunCompleteEvent) {
      inOrder(async () => {
        const { run, status } = event
        const end = run.completedAt ?? run.failedAt ?? run.canceledAt
        const error = run.errorMessage ? `: ${output.red(run.errorMessage)}` : ''
        output.out(`${clock()} ${output.dim(run.id)} ${workflowName(event)} run ${output.status(status)} in ${between(run.startedAt ?? run.createdAt, end)}${scaled}${error}`)
      })
    },
  }
}

function workflowName({ run }: { run: StepCompleteEvent['run'] }): string {
  return run.definitionSnapshot.key ?? run.definitionSnapshot.name
}

/** A `ctx.log` line, indented under its step's line. */
function logLine(output: Output, log: ExecutionLog): string {
  const level = log.level === 'error' ? output.red(log.level) : log.level === 'warn' ? output.yellow(log.level) : output.dim(log.level)
  const data = log.data && Object.keys(log.data).length > 0 ? ` ${output.dim(JSON.stringify(log.data))}` : ''
  return `${' '.repeat(9)}${level} ${log.message}${data}`
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8)
}
