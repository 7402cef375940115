import type { TriggerDef } from '../index.js'
import { closest } from './did-you-mean.js'
import { CliError } from './errors.js'
import type { LoadedConfig } from './load-config.js'

/** The triggers the config's workflows start on, by signal type. */
export function configTriggers(loaded: LoadedConfig): Map<string, TriggerDef<string, unknown>> {
  const triggers = new Map<string, TriggerDef<string, unknown>>()
  for (const wf of loaded.workflows) {
    const { trigger } = loaded.lib.collectRegistrations(wf)
    if (!triggers.has(trigger.type)) triggers.set(trigger.type, trigger)
  }
  return triggers
}

/**
 * The trigger a signal type belongs to, checked before the engine opens: a typo then fails at
 * once with the types the config knows, instead of as a validation error about another field.
 * Returns undefined for an unknown type only when the config lets the engine take unregistered
 * signal types.
 */
export function signalTrigger(loaded: LoadedConfig, type: string): TriggerDef<string, unknown> | undefined {
  const triggers = configTriggers(loaded)
  const trigger = triggers.get(type)
  if (trigger || loaded.config.engine?.allowUnregisteredTriggers === true) return trigger
  const known = [...triggers.keys()]
  const list = known.length === 0 ? `the workflows in ${loaded.name} start on no signal types` : `the workflows in ${loaded.name} know: ${known.join(', ')}`
  const match = closest(type, known)
  throw new CliError(`unknown signal type "${type}"; ${list}${match === undefined ? '' : `. Did you mean "${match}"?`}`, { code: 'VALIDATION' })
}
