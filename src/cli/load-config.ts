import { existsSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'
import { glob } from 'tinyglobby'
import type { AnyWorkflow, PulseConfig } from '../index.js'
import { closest } from './did-you-mean.js'
import { CliError } from './errors.js'
import { resolveLibrary, type PulseLibrary } from './library.js'

/** Config file names looked for in the working directory, in this order. */
export const CONFIG_NAMES = ['pulse.config.ts', 'pulse.config.mts', 'pulse.config.js', 'pulse.config.mjs', 'pulse.config.cts', 'pulse.config.cjs']

/** A config file after loading: its settings, its workflows, and the pulse-engine they belong to. */
export interface LoadedConfig {
  path: string
  /** File name for messages, e.g. `pulse.config.ts`. */
  name: string
  dir: string
  config: PulseConfig
  workflows: AnyWorkflow[]
  lib: PulseLibrary
  /** Source files the config loaded (itself and its workflow modules, not node_modules): what `pulse dev` watches. */
  files: string[]
}

/**
 * The config file: --config if given, else the first pulse.config.* in the working directory or
 * the nearest folder above it, as git finds its repository, so commands work from a subfolder.
 */
export function findConfig(cwd: string, explicit: string | undefined): string {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit)
    if (!existsSync(path)) throw new CliError(`config file ${path} does not exist; check --config, or run "pulse init" to create pulse.config.ts`)
    return path
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const path = join(dir, name)
      if (existsSync(path)) return path
    }
    if (dirname(dir) === dir) break
  }
  throw new CliError(`no pulse.config.ts in ${cwd} or any folder above it; run "pulse init" to create one, or pass --config <path>`)
}

/** Every key of PulseConfig: the compiler fails here when PulseConfig gains one that is not listed. */
const CONFIG_KEYS = {
  workflows: true,
  tenants: true,
  database: true,
  redis: true,
  dataDir: true,
  tablePrefix: true,
  queuePrefix: true,
  engine: true,
} satisfies Record<keyof PulseConfig, true>

/** Warns about keys the CLI does not read (a typo such as `databaseUrl` would otherwise be silently ignored). */
function warnUnknownKeys(config: object, name: string): void {
  const known = Object.keys(CONFIG_KEYS)
  for (const key of Object.keys(config)) {
    if (key in CONFIG_KEYS) continue
    const match = closest(key, known)
    const hint = match ? ` (did you mean "${match}"?)` : ` (the keys are ${known.join(', ')})`
    process.stderr.write(`warning: ${name}: unknown key "${key}"${hint}; it is ignored\n`)
  }
}

const imported = new Set<string>()
let registered = false

/**
 * Lets Node import TypeScript (ES module and CommonJS flavours) without a build step. tsx's
 * global hooks keep one module instance per file, so the config and the workflow modules it
 * imports see the same pulse-engine.
 */
async function registerTypeScript(): Promise<void> {
  if (registered) return
  registered = true
  const [{ register: registerEsm }, { register: registerCjs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')])
  registerEsm({ onImport: (url: string) => void imported.add(url) })
  registerCjs()
}

export async function loadConfig(cwd: string, explicit: string | undefined): Promise<LoadedConfig> {
  const path = findConfig(cwd, explicit)
  const name = basename(path)
  await registerTypeScript()
  let mod: Record<string, unknown>
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  } catch (err) {
    throw new CliError(`could not load ${path}: ${(err as Error).message}`, { cause: err })
  }
  const config = await configFrom(mod, name)
  const dir = dirname(path)
  const workflows = await collectWorkflows(config.workflows, dir, name)
  const lib = await resolveLibrary(path, workflows)
  return { path, name, dir, config, workflows, lib, files: sourceFiles(path) }
}

async function configFrom(mod: Record<string, unknown>, name: string): Promise<PulseConfig> {
  let value = mod.default
  // A CommonJS-compiled config exposes its ES default export one level down.
  if (isObject(value) && '__esModule' in value && 'default' in value) value = value.default
  if (typeof value === 'function') value = await (value as () => unknown)()
  if (!isObject(value)) throw new CliError(`${name} has no default export; export default defineConfig({ workflows: [...] })`)
  const problems: string[] = []
  const config = value as unknown as PulseConfig
  warnUnknownKeys(config, name)
  if (config.workflows === undefined) problems.push('workflows is missing: list your workflows, or module paths / globs that export them')
  if (config.database !== undefined && config.database !== '' && typeof config.database !== 'string') problems.push('database must be a connection string')
  if (config.redis !== undefined && config.redis !== '' && typeof config.redis !== 'string') problems.push('redis must be a connection string')
  if (config.redis && !config.database) problems.push('redis needs database as well: the engine keeps its state in Postgres')
  if (config.tenants !== undefined && !Array.isArray(config.tenants) && typeof config.tenants !== 'function') {
    problems.push('tenants must be a list of tenant ids or a function returning one')
  }
  if (problems.length > 0) throw new CliError(`${name} has ${problems.length === 1 ? 'a problem' : 'problems'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  return config
}

async function collectWorkflows(entries: PulseConfig['workflows'], dir: string, name: string): Promise<AnyWorkflow[]> {
  const found: AnyWorkflow[] = []
  for (const entry of Array.isArray(entries) ? entries : [entries]) {
    if (typeof entry === 'string') {
      const files = /[*?{[]/.test(entry) ? (await glob(entry, { cwd: dir, absolute: true })).sort() : [resolve(dir, entry)]
      if (files.length === 0) throw new CliError(`${name}: no files match workflows entry "${entry}"`)
      for (const file of files) found.push(...(await workflowsIn(file, name)))
    } else if (isWorkflow(entry)) {
      found.push(entry)
    } else {
      throw new CliError(`${name}: workflows holds ${describe(entry)}; list workflows made with workflow("key")..., or module paths that export them`)
    }
  }
  const byKey = new Map<string, AnyWorkflow>()
  for (const wf of new Set(found)) {
    if (byKey.has(wf.key) && byKey.get(wf.key) !== wf) throw new CliError(`${name}: two different workflows use the key "${wf.key}"; keys must be unique`)
    byKey.set(wf.key, wf)
  }
  return [...byKey.values()]
}

async function workflowsIn(file: string, name: string): Promise<AnyWorkflow[]> {
  if (!existsSync(file)) throw new CliError(`${name}: workflow module ${file} does not exist`)
  let mod: Record<string, unknown>
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (err) {
    throw new CliError(`could not load workflow module ${file}: ${(err as Error).message}`, { cause: err })
  }
  const values = [...Object.values(mod), ...(isObject(mod.default) && !isWorkflow(mod.default) ? Object.values(mod.default) : [])]
  const workflows = values.flatMap((v) => (Array.isArray(v) ? v : [v])).filter(isWorkflow)
  if (workflows.length === 0) throw new CliError(`${name}: workflow module ${file} exports no workflows`)
  return workflows
}

function sourceFiles(configPath: string): string[] {
  const files = new Set([configPath])
  for (const url of imported) if (url.startsWith('file:')) files.add(fileURLToPath(url.split('?')[0]!))
  // Modules tsx compiled as CommonJS are in require's cache rather than reported by the ESM hook.
  for (const file of Object.keys(createRequire(configPath).cache)) files.add(file)
  // The CLI's own directory holds pulse-engine itself when it runs from a checkout.
  const own = dirname(fileURLToPath(import.meta.url))
  return [...files].filter((f) => !f.includes('/node_modules/') && dirname(f) !== own && existsSync(f)).sort()
}

export function isWorkflow(value: unknown): value is AnyWorkflow {
  return isObject(value) && value.kind === 'workflow' && typeof value.compile === 'function' && typeof value.key === 'string'
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'a nested list'
  return `a ${typeof value}`
}
