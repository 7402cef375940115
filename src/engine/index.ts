export { createEngine } from './create-engine.js'
export type { EngineConfig } from './config.js'
export type {
  ConsistencyProblem,
  CreateWorkflowInput,
  Engine,
  EngineInfo,
  ListRunsFilter,
  SyncOptions,
  SyncPlan,
  SyncPlanEntry,
  TenantEngine,
  TriggerRegistrationInput,
  TypedEmitInput,
  VerifyOptions,
  VerifyReport,
} from './engine.js'
