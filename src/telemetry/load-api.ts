import type * as OtelApiModule from '@opentelemetry/api'

/** The `@opentelemetry/api` module, as the application installed it. */
export type OtelApi = typeof OtelApiModule

/**
 * The OpenTelemetry API when the application has it installed, else null. It is an optional
 * peer dependency: an application that does not use OpenTelemetry installs nothing extra and
 * this import failing is the normal case, not an error. Loaded with a dynamic import so neither
 * build of the package (ESM, CommonJS) needs it at load time.
 */
export async function loadOtelApi(): Promise<OtelApi | null> {
  try {
    const loaded = (await import('@opentelemetry/api')) as OtelApi & { default?: OtelApi }
    // Through CommonJS interop the named exports may sit on `default`.
    const api = typeof loaded.trace === 'object' ? loaded : loaded.default
    return api && typeof api.trace === 'object' && typeof api.metrics === 'object' ? api : null
  } catch {
    return null
  }
}
