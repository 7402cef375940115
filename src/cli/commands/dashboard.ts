import { CONFIG_FLAG, stringFlag, type CommandSpec } from '../command.js'
import { CliError } from '../errors.js'
import { loadConfig } from '../load-config.js'
import { parsePort, serveDashboard, DEFAULT_DASHBOARD_PORT } from '../serve-dashboard.js'
import { withEngine } from '../session.js'
import { listenForStop } from '../stop-signal.js'

export const dashboardCommand: CommandSpec = {
  name: 'dashboard',
  summary: 'Serves the run dashboard for the configured database on http://127.0.0.1:7070 until Ctrl-C.',
  details:
    'Every tenant is shown (the dashboard listens on 127.0.0.1 only). Retries and replays are stored at once; runs move when an engine is started on the same database (pulse dev, pulse worker or your app). ' +
    'To mount it in your own server behind your authentication, import { dashboard } from "pulse-engine/dashboard".',
  flags: {
    port: { type: 'string', short: 'p', value: '<port>', description: `port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)` },
    ...CONFIG_FLAG,
  },
  examples: ['pulse dashboard', 'pulse dashboard --port 8080', 'DATABASE_URL=postgres://localhost/app pulse dashboard'],
  async run({ flags, cwd, output }) {
    const port = parsePort(stringFlag(flags, 'port'), 'dashboard')
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    return withEngine(loaded, async (session) => {
      const health = await session.engine.health()
      if (health.schema.version === null) throw new CliError(`the engine's tables do not exist in ${session.target}; run pulse migrate (or pulse dev) first`)
      const stop = listenForStop()
      try {
        const served = await serveDashboard(session.engine, port)
        output.out(`dashboard for the ${session.mode} engine on ${session.target}: ${served.url} (Ctrl-C to stop)`)
        await stop.stopped
        await served.close()
      } finally {
        stop.dispose()
      }
      return 0
    })
  },
}
