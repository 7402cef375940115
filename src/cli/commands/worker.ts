import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { CliError, maskUrl } from '../errors.js'
import { loadConfig } from '../load-config.js'
import { openEngine } from '../session.js'
import { listenForStop } from '../stop-signal.js'

export const workerCommand: CommandSpec = {
  name: 'worker',
  summary: "Runs a production worker from the config: executes runs and cron ticks until SIGTERM, then stops gracefully.",
  details:
    'Registers the config\'s workflows and starts the engine; it neither migrates nor syncs (run "pulse migrate" and "pulse sync" on deploy) ' +
    'and does not reload. On SIGTERM or Ctrl-C it stops taking work, lets running steps finish within the engine\'s shutdownGraceMs ' +
    '(default 10 s) and hands the rest back to the queue, then exits 0; a second signal exits at once. Start as many as you need. ' +
    "The engine's own warnings and errors go to its logger (the config's engine.logger, by default the console).",
  flags: { ...JSON_FLAG, ...CONFIG_FLAG },
  examples: ['pulse worker', 'DATABASE_URL=postgres://db/app REDIS_URL=redis://cache:6379 pulse worker --json'],
  async run({ flags, cwd, output }) {
    const json = flags.json === true
    const log = (event: string, text: string, fields: Record<string, unknown> = {}) => {
      if (json) output.jsonLine({ time: new Date().toISOString(), event, ...fields })
      else output.out(`${new Date().toISOString()} ${text}`)
    }
    // Listen before anything slow: a SIGTERM while starting must still end in a clean stop.
    const stop = listenForStop()
    try {
      const loaded = await loadConfig(cwd, flags.config as string | undefined)
      const session = await openEngine(loaded)
      try {
        const { engine } = session
        const { schema } = await engine.health()
        if (!schema.upToDate) {
          const state = schema.version === null ? 'do not exist' : `are at schema version ${schema.version}, not ${schema.latest}`
          throw new CliError(`the engine's tables ${state} in ${session.target}; run "pulse migrate" before starting workers`, { code: 'DATABASE' })
        }
        if (stop.isStopped()) return 0
        await engine.start()
        const workflows = loaded.workflows.map((wf) => wf.key)
        const redis = loaded.config.redis ? maskUrl(loaded.config.redis) : null
        log(
          'ready',
          `${output.green('ready')} worker: ${session.mode} engine on ${session.target}${redis ? ` and ${redis}` : ''}; workflows: ${workflows.join(', ') || 'none'} (pid ${process.pid}; SIGTERM or Ctrl-C stops it)`,
          { mode: session.mode, target: session.target, redis, workflows, pid: process.pid },
        )
        const signal = await stop.stopped
        const force = () => {
          log('forced', `second signal: exiting without waiting for running steps`)
          process.exit(130)
        }
        process.once('SIGINT', force)
        process.once('SIGTERM', force)
        log('stopping', `${signal}: stopping, letting running steps finish`, { signal })
      } finally {
        await session.close()
      }
      log('stopped', 'stopped')
      return 0
    } finally {
      stop.dispose()
    }
  },
}
