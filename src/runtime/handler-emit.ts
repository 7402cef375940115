import type { HandlerEmit, TriggerEnvelope, TriggerInput } from '../types.js'

/**
 * Builds `ctx.emit` over the engine's emit: a plain signal goes through as given, and a trigger
 * plus its fields becomes the signal `engine.emit(trigger, input)` would make, for the run's
 * tenant unless the input names another. The engine checks the payload against the trigger's
 * schema either way.
 */
export function handlerEmit(emit: (input: TriggerInput) => Promise<TriggerEnvelope>, tenantId: string): HandlerEmit {
  return ((first: unknown, second?: unknown) => {
    const trigger = first as { kind?: unknown; type?: unknown; source?: unknown } | null
    if (second !== undefined && typeof trigger === 'object' && trigger !== null && trigger.kind === 'trigger') {
      const fields = (typeof second === 'object' && second !== null ? second : {}) as Partial<TriggerInput>
      return emit({ ...fields, tenantId: fields.tenantId ?? tenantId, type: trigger.type, source: trigger.source } as TriggerInput)
    }
    return emit(first as TriggerInput)
  }) as HandlerEmit
}
