export * from './errors.js'
export type * from './types.js'
export { LIMITS, validateDefinition } from './definition/index.js'
export * from './dsl/index.js'
export {
  createEngine,
  type CreateWorkflowInput,
  type Engine,
  type EngineInfo,
  type EngineConfig,
  type ListRunsFilter,
  type SyncOptions,
  type SyncPlan,
  type SyncPlanEntry,
  type TriggerRegistrationInput,
  type TypedEmitInput,
} from './engine/index.js'
export type { CronMisfirePolicy } from './runtime/cron.js'
export { defineConfig, type PulseConfig, type PulseConfigTenants, type PulseConfigWorkflows } from './config/define-config.js'
