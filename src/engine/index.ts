export { createEngine } from './create-engine.js'
export type { EngineConfig } from './config.js'
export type { CreateWorkflowInput, Engine, EngineInfo, ListRunsFilter, SyncOptions, SyncPlan, SyncPlanEntry, TriggerRegistrationInput, TypedEmitInput } from './engine.js'
