import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { EngineConfig } from '../index.js'
import { CliError } from './errors.js'
import type { LoadedConfig } from './load-config.js'
import { slowStep } from './progress.js'
import type { EngineSession, OpenOptions } from './session.js'

/** A read-only command found no embedded database to read: nothing was synced or emitted there yet. */
export class NoEmbeddedDatabaseError extends CliError {
  readonly dataDir: string

  constructor(dataDir: string, configName: string) {
    super(
      `there is no embedded database in ${dataDir} yet (nothing was synced or emitted there); run "pulse sync" or "pulse dev" first, or set "database" in ${configName} to read a Postgres database`,
      { code: 'DATABASE' },
    )
    this.name = 'NoEmbeddedDatabaseError'
    this.dataDir = dataDir
  }
}

/** The data folder the config's embedded engine uses, or false for an in-memory one. */
export function embeddedDataDir(loaded: LoadedConfig): string | false {
  return loaded.config.dataDir === false ? false : resolve(loaded.dir, loaded.config.dataDir ?? '.pulse')
}

/**
 * CI jobs usually mean to use a database and forgot to pass its URL: falling back to a fresh
 * embedded folder there would "succeed" against data nobody keeps. An explicit dataDir says the
 * embedded database is wanted.
 */
export function refuseImplicitEmbeddedInCi(loaded: LoadedConfig): void {
  const ci = process.env.CI
  if (!ci || ci === 'false' || ci === '0' || loaded.config.dataDir !== undefined) return
  throw new CliError(
    `CI is set and ${loaded.name} gives no database (is DATABASE_URL set in this job?), so pulse would use a throwaway embedded database in ${join(loaded.dir, '.pulse')}. ` +
      `Set the database URL, or set dataDir in ${loaded.name} to use the embedded database on purpose.`,
  )
}

/**
 * Opens the embedded engine. The first process to open a data folder owns it; while it runs
 * (`pulse dev`, an application), this process connects through it instead of opening the
 * folder a second time.
 */
export async function openEmbedded(loaded: LoadedConfig, common: EngineConfig, options: OpenOptions): Promise<EngineSession> {
  refuseImplicitEmbeddedInCi(loaded)
  const dataDir = embeddedDataDir(loaded)
  const isNew = dataDir !== false && !existsSync(join(dataDir, 'PG_VERSION'))
  if (isNew && options.readOnly) throw new NoEmbeddedDatabaseError(dataDir, loaded.name)
  const engine = loaded.lib.createEngine({ ...common, dataDir })
  const where = dataDir === false ? 'an in-memory database' : `the embedded database in ${relative(process.cwd(), dataDir) || '.'}`
  let target = dataDir === false ? 'an in-memory database' : `the embedded database in ${dataDir}`
  try {
    const info = await slowStep(options.progress, isNew ? `creating ${where} (once; takes a few seconds)` : `opening ${where}`, () => engine.info())
    const owner = info.embedded?.role === 'client' ? info.embedded.owner : undefined
    // A pulse dev worker is served by its own supervisor: nothing worth saying.
    if (owner && owner.pid !== process.ppid) target += ` (served by ${owner.command}, pid ${owner.pid})`
  } catch (err) {
    await engine.stop().catch(() => undefined)
    // The engine's own errors name the folder and the remedy already.
    if (typeof (err as { code?: unknown }).code === 'string' && String((err as { code: string }).code).startsWith('EMBEDDED_')) {
      throw new CliError((err as Error).message, { cause: err, code: 'DATABASE' })
    }
    throw new CliError(`could not open ${target}: ${(err as Error).message}`, { cause: err, code: 'DATABASE' })
  }
  engine.register(...loaded.workflows)
  return { engine, mode: 'embedded', target, close: () => engine.stop() }
}
