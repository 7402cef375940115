export { cronProblem, nextCronTime } from './cron.js'
export { KEY_PATTERN, LIMITS, STEP_NAME_PATTERN, TRIGGER_TYPE_PATTERN } from './limits.js'
export { flowSchema } from './flow-schema.js'
export { stepSchema, workflowSpecSchema } from './schema.js'
export type {
  CancelOn,
  ConcurrencyLimit,
  ConcurrencyMode,
  DebounceWindow,
  FlowControl,
  MatchPath,
  OnFalse,
  OnTimeout,
  RateLimit,
  RetryPolicy,
  StepType,
  ThrottleLimit,
  WorkflowSpec,
  WorkflowStep,
} from './types.js'
export { validateDefinition, validateSpec, type ValidateOptions } from './validate.js'
export { canonicalJson, definitionHash } from './hash.js'
export { listenedSignalTypes, listeners, type Listener } from './listened-types.js'
export { MATCH_FIELDS, matchPathProblem } from './match-path.js'
export { checkJsonValue, FORBIDDEN_KEYS, MAX_JSON_DEPTH, stringProblem, toJsonValue, type JsonLimits } from './json-value.js'
export { MAX_DEFINITION_BYTES } from './validate.js'
