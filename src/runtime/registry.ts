import type { z } from 'zod'
import { PulseConfigError } from '../errors.js'
import type { ActionHandler, ConditionHandler, JsonObject } from '../types.js'

export interface TriggerRegistration {
  source: string
  resourceType?: string
  payloadSchema?: z.ZodType
}

/** The erased handler signatures the runtime calls; the DSL's typed handlers are stored as these. */
export type RegisteredAction = { handler: ActionHandler<JsonObject, JsonObject>; replaySafe: boolean }
export type RegisteredCondition = { handler: ConditionHandler<JsonObject> }

/**
 * Handlers live in the application's code and are found by name at run time. Registering a
 * different function under a name already taken is refused: two workflows must not silently
 * share a name for different behaviour.
 */
export class Registry {
  readonly triggers = new Map<string, TriggerRegistration>()
  readonly actions = new Map<string, RegisteredAction>()
  readonly conditions = new Map<string, RegisteredCondition>()

  registerTrigger(type: string, registration: TriggerRegistration): void {
    if (typeof type !== 'string' || type.length === 0) throw new PulseConfigError('registerTrigger needs a non-empty signal type')
    if (!registration || typeof registration.source !== 'string' || registration.source.length === 0) {
      throw new PulseConfigError(`registerTrigger("${type}") needs a source, e.g. { source: 'billing' }`)
    }
    const existing = this.triggers.get(type)
    if (existing && existing.payloadSchema !== registration.payloadSchema && existing.payloadSchema && registration.payloadSchema) {
      throw new PulseConfigError(`trigger "${type}" is already registered with a different payload schema`)
    }
    this.triggers.set(type, { ...existing, ...registration })
  }

  registerAction(name: string, handler: RegisteredAction['handler'], options: { replaySafe?: boolean } = {}): void {
    assertHandler('registerAction', name, handler)
    const existing = this.actions.get(name)
    if (existing && existing.handler !== handler) {
      throw new PulseConfigError(`action "${name}" is already registered with another handler; give one of them a different name`)
    }
    this.actions.set(name, { handler, replaySafe: options.replaySafe ?? false })
  }

  registerCondition(name: string, handler: RegisteredCondition['handler']): void {
    assertHandler('registerCondition', name, handler)
    const existing = this.conditions.get(name)
    if (existing && existing.handler !== handler) {
      throw new PulseConfigError(`condition "${name}" is already registered with another handler; give one of them a different name`)
    }
    this.conditions.set(name, { handler })
  }
}

function assertHandler(method: string, name: string, handler: unknown): void {
  if (typeof name !== 'string' || name.length === 0) throw new PulseConfigError(`${method} needs a non-empty name`)
  if (typeof handler !== 'function') throw new PulseConfigError(`${method}("${name}") needs a handler function`)
}
