import { CliError, maskUrl } from './errors.js'

const SCHEMES = {
  database: { protocols: ['postgres:', 'postgresql:', 'socket:'], example: 'postgres://user:password@localhost:5432/app', env: 'DATABASE_URL', what: 'postgres://' },
  redis: { protocols: ['redis:', 'rediss:'], example: 'redis://localhost:6379', env: 'REDIS_URL', what: 'redis://' },
} as const

/**
 * Refuses a connection string that is not a URL of the right scheme before any driver sees it:
 * pg reads `not-a-url` as a path relative to a placeholder host and then reports
 * `getaddrinfo ENOTFOUND base`, which names neither the setting nor the mistake.
 */
export function checkConnectionUrl(key: keyof typeof SCHEMES, url: string, configName: string): void {
  const scheme = SCHEMES[key]
  let protocol: string | undefined
  try {
    protocol = new URL(url).protocol
  } catch {
    protocol = undefined
  }
  if (protocol !== undefined && (scheme.protocols as readonly string[]).includes(protocol)) return
  throw new CliError(
    `"${key}" in ${configName} (often ${scheme.env}) is not a valid ${scheme.what} URL: "${maskUrl(url)}"; expected e.g. ${scheme.example}`,
  )
}
