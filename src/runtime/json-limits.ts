/**
 * Limits on the JSON the engine stores: signal payloads, step outputs, workflow configs. The check
 * itself is the pure {@link checkJsonValue} of the definition layer (validateDefinition uses it
 * too); this module names the engine's defaults.
 */
export { checkJsonValue, MAX_JSON_DEPTH, stringProblem, toJsonValue, type JsonLimits } from '../definition/index.js'

/** Default `maxPayloadBytes`: the largest signal payload `emit()` accepts. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024

/** Default `maxOutputBytes`: the largest output (`data`) a step may record. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024
