export { createTelemetry, NO_TELEMETRY, type StepWatch, type Telemetry, type TelemetryOptions } from './telemetry.js'
export type { EmitSpan } from './tracer.js'
export type { WaitingSteps } from './metrics.js'
