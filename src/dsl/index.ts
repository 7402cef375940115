export { action, type ActionDef, type ActionDefOptions, type ActionHandlerResult, type AnyActionHandler, type ErasedPayload, type NoData } from './action.js'
export type {
  ActionStepOptions,
  ChainState,
  ConditionStepOptions,
  DelayStepOptions,
  HandlerStepOptions,
  InlineActionStepOptions,
  OnFalseOption,
} from './chain-state.js'
export { compile } from './compile.js'
export { condition, type AnyConditionHandler, type ConditionDef, type ConditionHandlerResult } from './condition.js'
export type { ConcurrencyOptions, DebounceOptions, StartLimitOptions } from './flow-control.js'
export { formatDuration, parseDuration, type DurationInput, type DurationString } from './duration.js'
export { collectRegistrations, type WorkflowRegistrations } from './registrations.js'
export type { BranchBuilder, AnyBranch } from './branch-builder.js'
export type { ContextAt, StepMethods } from './step-methods.js'
export type { CancelOnOptions, MatchInput, ReceivedSignal, SignalWaitOutput, WaitForOptions, WaitResult } from './signal-wait.js'
export { trigger, type JsonRoundTrip, type PayloadInputOf, type PayloadOf, type Trigger, type TriggerDef, type TriggerOptions } from './trigger.js'
export type { DslTypeError, IsAny } from './type-errors.js'
export {
  configIssues,
  workflow,
  type AnyWorkflow,
  type ConfigOptions,
  type CronOptions,
  type TriggerFilters,
  type WorkflowBuilder,
  type WorkflowOptions,
  type WorkflowStart,
} from './workflow-builder.js'
