import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as Pulse from '../index.js'
import { CliError } from './errors.js'

/** The pulse-engine module: what the CLI calls createEngine and compile on. */
export type PulseLibrary = typeof Pulse

/**
 * Finds the copy of pulse-engine the config's workflows were made with. The DSL checks
 * workflows with instanceof, so the engine must come from the same module instance as the
 * workflows: the ESM entry when the config is an ES module, the CommonJS entry when tsx loaded
 * it as CommonJS (a .ts file in a package without "type": "module"), or the CLI's own copy when
 * the config cannot resolve 'pulse-engine' itself.
 */
export async function resolveLibrary(configPath: string, workflows: Pulse.AnyWorkflow[]): Promise<PulseLibrary> {
  const require = createRequire(configPath)
  const candidates: (() => Promise<PulseLibrary>)[] = []
  let packageJson: string | undefined
  try {
    packageJson = require.resolve('pulse-engine/package.json')
  } catch {
    // Not installed next to the config: only the CLI's own copy is left.
  }
  if (packageJson) {
    const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }>; module?: string }
    const esmEntry = pkg.exports?.['.']?.import?.default ?? pkg.module
    const esm = esmEntry ? [() => import(pathToFileURL(join(dirname(packageJson), esmEntry)).href) as Promise<PulseLibrary>] : []
    const cjs = [async () => require('pulse-engine') as PulseLibrary]
    // A config tsx loaded as CommonJS has required the CommonJS entry already: trying the ES
    // module entry first would load a second copy of the whole library (half a second) only to
    // find that its workflows are not its own.
    candidates.push(...(loadedAsCommonJs(require) ? [...cjs, ...esm] : [...esm, ...cjs]))
  }
  // Rewritten by the build to the package's own entry next to cli.js (see tsup.config.ts).
  candidates.push(() => import('../index.js'))

  const probe = workflows[0]
  for (const load of candidates) {
    let lib: PulseLibrary
    try {
      lib = await load()
    } catch {
      continue
    }
    if (!probe || accepts(lib, probe)) return lib
  }
  throw new CliError(
    `the workflows in ${configPath} were made with a copy of pulse-engine the CLI cannot load; import workflow(), trigger() and action() from 'pulse-engine' (installed in this project), not from a relative path`,
  )
}

function loadedAsCommonJs(require: NodeJS.Require): boolean {
  try {
    return require.cache[require.resolve('pulse-engine')] !== undefined
  } catch {
    return false
  }
}

function accepts(lib: PulseLibrary, workflow: Pulse.AnyWorkflow): boolean {
  try {
    lib.collectRegistrations(workflow)
    return true
  } catch {
    return false
  }
}
