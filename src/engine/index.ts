export { createEngine } from './create-engine.js'
export type { EngineConfig } from './config.js'
export type {
  ConsistencyProblem,
  CreateWorkflowInput,
  Engine,
  EngineHealth,
  EngineInfo,
  ListRunsFilter,
  ListSignalsFilter,
  ListWorkflowsFilter,
  SyncOptions,
  SyncPlan,
  SyncPlanEntry,
  TenantEngine,
  TriggerRegistrationInput,
  TypedEmitInput,
  VerifyOptions,
  VerifyReport,
} from './engine.js'
export type { RedisPolicyReport } from '../queue/redis-policy.js'
