import { PulseConfigError, PulseValidationError } from '../errors.js'
import type { RegisteredAction, RegisteredCondition, Registry } from '../runtime/registry.js'
import type { ActionResult, HandlerContext } from '../types.js'

/** A stand-in for an action (returns what an action returns) or a condition (returns a boolean). */
export type MockHandler = (ctx: HandlerContext) => ActionResult | void | boolean | Promise<ActionResult | void | boolean>

/** An action or condition made with `action()`, `condition()` or `trigger.action()`, or its name. */
export type HandlerRef = string | { readonly name: string }

interface Override {
  kind: 'action' | 'condition'
  original: RegisteredAction['handler'] | RegisteredCondition['handler']
  mock?: MockHandler
  failures: { remaining: number; error: Error }[]
}

/**
 * Mocks and injected failures, put in the engine's handler registry in place of the registered
 * handler under the same name: the step runs exactly as it would with the real one (timeouts,
 * retries, logs), only the function called differs. Nothing in the application's modules is
 * patched.
 */
export function createHandlerOverrides(registry: Registry) {
  const overrides = new Map<string, Override>()

  const nameOf = (method: string, ref: HandlerRef): string => {
    const name = typeof ref === 'string' ? ref : ref?.name
    if (typeof name !== 'string' || name.length === 0) {
      throw new PulseValidationError(method, [{ path: ['name'], message: 'expected an action or condition, or its name' }])
    }
    return name
  }

  const install = (method: string, name: string): Override => {
    const existing = overrides.get(name)
    if (existing) return existing
    const action = registry.actions.get(name)
    const condition = action ? undefined : registry.conditions.get(name)
    if (!action && !condition) {
      const known = [...registry.actions.keys(), ...registry.conditions.keys()].sort()
      throw new PulseConfigError(
        `${method}: no workflow of this test engine uses an action or condition named "${name}"; ` +
          (known.length > 0 ? `the names in use are ${known.map((k) => `"${k}"`).join(', ')}` : 'pass the workflows to createTestEngine({ workflows })'),
      )
    }
    const entry: Override = { kind: action ? 'action' : 'condition', original: (action ?? condition)!.handler, failures: [] }
    const call = async (ctx: HandlerContext) => {
      const failure = entry.failures[0]
      if (failure) {
        failure.remaining -= 1
        if (failure.remaining <= 0) entry.failures.shift()
        throw failure.error
      }
      return (entry.mock ?? entry.original)(ctx)
    }
    if (action) registry.actions.set(name, { ...action, handler: call as RegisteredAction['handler'] })
    else registry.conditions.set(name, { handler: call as RegisteredCondition['handler'] })
    overrides.set(name, entry)
    return entry
  }

  return {
    mock(ref: HandlerRef, impl: MockHandler): void {
      const name = nameOf('mock()', ref)
      if (typeof impl !== 'function') throw new PulseValidationError('mock()', [{ path: ['impl'], message: 'expected a handler function' }])
      install('mock()', name).mock = impl
    },
    failNext(ref: HandlerRef, times: number, error: Error | string | undefined): void {
      const name = nameOf('failNext()', ref)
      if (!Number.isSafeInteger(times) || times < 1) {
        throw new PulseValidationError('failNext()', [{ path: ['times'], message: `expected a whole number of 1 or more; got ${String(times)}` }])
      }
      const err = error instanceof Error ? error : new Error(error ?? `${name} failed (injected by failNext)`)
      install('failNext()', name).failures.push({ remaining: times, error: err })
    },
    /** Puts the registered handlers back. */
    restore(): void {
      for (const [name, entry] of overrides) {
        if (entry.kind === 'action') registry.actions.set(name, { ...registry.actions.get(name)!, handler: entry.original as RegisteredAction['handler'] })
        else registry.conditions.set(name, { handler: entry.original as RegisteredCondition['handler'] })
      }
      overrides.clear()
    },
  }
}

export type HandlerOverrides = ReturnType<typeof createHandlerOverrides>
