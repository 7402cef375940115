import type { WorkflowSpec } from '../definition/types.js'
import { PulseValidationError } from '../errors.js'
import type { AnyWorkflow } from './workflow-builder.js'

/**
 * Same as `wf.compile()`: the workflow as plain, validated step JSON. Handy in `map` over a
 * list of workflows and in golden tests.
 *
 * @example
 * ```ts
 * const specs = [incident, trialExpiring].map(compile)
 * expect(compile(incident).steps[0]).toEqual({ type: 'delay', name: 'wait_5m', delayMs: 300_000 })
 * ```
 */
export function compile(wf: AnyWorkflow): WorkflowSpec {
  if (typeof wf !== 'object' || wf === null || wf.kind !== 'workflow' || typeof wf.compile !== 'function') {
    throw new PulseValidationError('workflow', [{ path: [], message: 'compile() takes a workflow made with workflow("key")...' }])
  }
  return wf.compile()
}
