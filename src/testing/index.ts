export { createTestEngine, type TestEngine, type TestEngineOptions } from './test-engine.js'
export { assertRunStatus, assertStepStatus, assertTimeline } from './assertions.js'
export type { RunReport } from './run-report.js'
export type { HandlerRef, MockHandler } from './handler-overrides.js'
