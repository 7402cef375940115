export { createStore, type Store, type StoreSession } from './store.js'
export type { RunListFilter } from './runs.js'
export {
  isFastPlan,
  noEffects,
  type ClaimMoves,
  type Effects,
  type Plan,
  type PlannedStep,
  type RetryReset,
  type RunChange,
  type RunStart,
  type RunStarts,
  type StatusMoves,
  type StepChange,
  type StepSetMove,
} from './plan.js'
export { applyPlan, continueRequest } from './apply-plan.js'
export { type Claim, type ClaimMiss, type ContinueRequest, type ContinueResult, type NewStep } from './steps.js'
export type { EarlierSignal, KeyedSignalRequest, NewSignal, PersistedSignal, SignalRequest } from './signals.js'
export { sortRuns } from './signals.js'
export type { NewDefinition } from './definitions.js'
export type { NewLog } from './logs.js'
export type { BeatResult, DeadWorker, WorkerIdentity } from './workers.js'
export type { Delivery, WaitRecord, WaitRegistration, WaitStatus } from './waits.js'
export { publicRun, publicStep, type RunRecord, type StepRecord, type TraceCarrier } from './rows.js'
export { LATEST_SCHEMA_VERSION, migrationsSql, schemaVersion } from './migrate.js'
export { newId } from './ids.js'
export { TABLE_PREFIX_PATTERN, tablesFor, type Tables } from './tables.js'
export type { PoolLike, Queryable } from './db.js'
export { installVirtualClock, resetTestDatabase, setVirtualTime, virtualClockSearchPath, VIRTUAL_CLOCK_SCHEMA, VIRTUAL_CLOCK_SQL } from './virtual-clock.js'
export { probeWork, type DueStep, type WorkProbe } from './work-probe.js'
export type { Admission, AdmissionOutcome, HeldRun, SkippedStart, SkipReason } from './flow.js'
export { COUNT_CAP, DashboardRunQueries, type DashboardRunFilter, type DashboardRunRow, type RunCursor } from './dashboard-runs.js'
export { DashboardSignalQueries, type DashboardSignalRow, type SignalOutcome } from './dashboard-signals.js'
export { DashboardWorkflowQueries } from './dashboard-workflows.js'
