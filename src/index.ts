export * from './errors.js'
export type * from './types.js'
export { checkJsonValue, LIMITS, validateDefinition, type JsonLimits } from './definition/index.js'
export * from './dsl/index.js'
export {
  createEngine,
  type CreateWorkflowInput,
  type Engine,
  type EngineInfo,
  type EngineConfig,
  type ListRunsFilter,
  type ListSignalsFilter,
  type ListWorkflowsFilter,
  type EngineHealth,
  type RedisPolicyReport,
  type SyncOptions,
  type SyncPlan,
  type SyncPlanEntry,
  type TriggerRegistrationInput,
  type TypedEmitInput,
  type TenantEngine,
  type ConsistencyProblem,
  type VerifyOptions,
  type VerifyReport,
} from './engine/index.js'
export type { CronMisfirePolicy } from './runtime/cron.js'
export type { TenantWeights } from './runtime/fair-share.js'
export type { TelemetryOptions } from './telemetry/index.js'
export { defineConfig, type PulseConfig, type PulseConfigTenants, type PulseConfigWorkflows } from './config/define-config.js'
