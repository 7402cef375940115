import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Engine } from '../index.js'
import { CliError, CliUsageError } from './errors.js'

export const DEFAULT_DASHBOARD_PORT = 7070

/** A `--port` value: a whole number from 0 (any free port) to 65535. */
export function parsePort(text: string | undefined, command: string, flag = '--port'): number {
  if (text === undefined) return DEFAULT_DASHBOARD_PORT
  const port = Number(text)
  if (!/^\d{1,5}$/.test(text) || port > 65535) throw new CliUsageError(`${flag} must be a port number from 0 to 65535; got "${text}"`, command)
  return port
}

/** A dashboard being served on loopback: its URL and how to stop it. */
export interface ServedDashboard {
  url: string
  close(): Promise<void>
}

/**
 * Serves the dashboard for every tenant on the loopback interface only: the CLI has no users
 * to authenticate, so it must not be reachable from other machines.
 */
export async function serveDashboard(engine: Engine, port: number): Promise<ServedDashboard> {
  // Loaded on demand: the other commands never load Hono.
  const { dashboard } = await import('../dashboard/index.js')
  const handler = dashboard(engine, { authorize: () => 'all' })
  const server = createServer((req, res) => void handler.node(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new CliError(`port ${port} is in use; pass another with --port (0 picks a free one)`, { cause: err }) : err),
    )
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}/runs`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Live pages hold connections open; end them so close() does not wait five minutes.
        server.closeAllConnections()
      }),
  }
}
