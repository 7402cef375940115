import type { AnyWorkflow } from '../dsl/index.js'
import type { EngineConfig } from '../engine/config.js'

/**
 * Where the `pulse` CLI finds workflows: workflow objects, or paths / globs of modules (relative to
 * the config file) whose exports are workflows.
 */
export type PulseConfigWorkflows = AnyWorkflow | string | (AnyWorkflow | string)[]

/** The tenants `pulse sync` and `pulse dev` sync, or a function that looks them up. */
export type PulseConfigTenants = string[] | (() => string[] | Promise<string[]>)

/**
 * What `pulse.config.ts` exports: the workflows in code, the tenants they are synced for and
 * where the engine keeps its state. Without `database` the CLI runs the embedded engine on
 * `dataDir`.
 */
export interface PulseConfig {
  /** The workflows in code, or module paths / globs (e.g. `'./workflows/*.ts'`) that export them. */
  workflows: PulseConfigWorkflows
  /** Tenant ids `pulse sync` and `pulse dev` sync the workflows for; other commands check `--tenant` against them. */
  tenants?: PulseConfigTenants
  /** Postgres connection string. When absent (or empty) the engine runs embedded on `dataDir`. */
  database?: string
  /** Redis connection string: BullMQ runs on Redis instead of Postgres. Needs `database`. */
  redis?: string
  /** Embedded mode: the data directory, relative to the config file. Default `.pulse`; `false` keeps it in memory. */
  dataDir?: string | false
  /** Prefix of the engine's table names. Default `pulse_`. */
  tablePrefix?: string
  /** Prefix of the engine's BullMQ queues. Default `pulse`. */
  queuePrefix?: string
  /** Any other engine option, passed to `createEngine()` as is. */
  engine?: Omit<EngineConfig, 'db' | 'redis' | 'dataDir' | 'tablePrefix' | 'queuePrefix'>
}

/**
 * Types the default export of `pulse.config.ts`. It returns its argument unchanged; its only job
 * is to let the editor check the config.
 *
 * @example
 * ```ts
 * // pulse.config.ts
 * import { defineConfig } from 'pulse-engine'
 * import { incident, trialExpiration } from './workflows/index.js'
 *
 * export default defineConfig({
 *   workflows: [incident, trialExpiration],
 *   tenants: ['workspace_1', 'workspace_2'],
 *   database: process.env.DATABASE_URL, // absent: embedded engine in .pulse/
 *   redis: process.env.REDIS_URL,
 * })
 * ```
 */
export function defineConfig(config: PulseConfig): PulseConfig {
  return config
}
