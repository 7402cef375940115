export * from './errors.js'
export type * from './types.js'
export { LIMITS, validateDefinition } from './definition/index.js'
export * from './dsl/index.js'
