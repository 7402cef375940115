import type { JsonObject } from '../types.js'

/**
 * What running a handler came to. `abandoned` means the step is no longer this worker's to
 * record (the run was canceled, the claim was taken over, or the engine handed it back at
 * shutdown): nothing is written for it.
 */
export type Outcome = { ok: true; data?: JsonObject } | { ok: false; error: string; abandoned?: true }

/** Reads what an action handler returned: nothing, or `{ success, data?, error? }`. */
export function actionOutcome(value: unknown): Outcome {
  if (value === undefined || value === null) return { ok: true }
  if (typeof value !== 'object' || Array.isArray(value) || typeof (value as { success?: unknown }).success !== 'boolean') {
    return { ok: false, error: `the action returned ${describe(value)}; return { success: true, data? } or nothing` }
  }
  const result = value as { success: boolean; data?: unknown; error?: unknown }
  if (!result.success) {
    return { ok: false, error: typeof result.error === 'string' && result.error ? result.error : 'the action returned success: false' }
  }
  if (result.data === undefined) return { ok: true }
  if (typeof result.data !== 'object' || result.data === null || Array.isArray(result.data)) {
    return { ok: false, error: `the action returned data that is ${describe(result.data)}; data must be a plain object` }
  }
  return { ok: true, data: result.data as JsonObject }
}

/** Reads what a condition handler returned: it must be a boolean. */
export function conditionOutcome(value: unknown): { ok: true; value: boolean } | { ok: false; error: string } {
  if (typeof value === 'boolean') return { ok: true, value }
  return { ok: false, error: `the condition returned ${describe(value)}; a condition must return true or false` }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  return typeof err === 'string' ? err : describe(err)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `an object without a boolean "success" (${JSON.stringify(value).slice(0, 80)})`
  return `${typeof value} ${String(value).slice(0, 40)}`
}
