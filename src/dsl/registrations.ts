import type { z } from 'zod'
import { PulseValidationError } from '../errors.js'
import type { JsonObject } from '../types.js'
import type { ActionDef } from './action.js'
import type { ConditionDef } from './condition.js'
import type { TriggerDef } from './trigger.js'
import { WorkflowBuilderImpl, type AnyWorkflow } from './workflow-builder.js'

/** Everything the engine must register to run one workflow. */
export interface WorkflowRegistrations {
  trigger: TriggerDef<string, unknown>
  /** Every action the workflow uses, inline ones and those inside parallel branches included, in step order. */
  actions: ActionDef[]
  /** Every condition the workflow uses, in step order. */
  conditions: ConditionDef[]
  /**
   * The triggers of the signals its wait steps wait for and its `cancelOn` entries name, each
   * once, in order of appearance; the engine registers them as it does `trigger`.
   */
  signalTriggers: TriggerDef<string, unknown, unknown>[]
  /** The schema its config must satisfy, if it declared one with `.config(values, { schema })`. */
  configSchema?: z.ZodType<JsonObject>
}

/**
 * Lists the trigger and every handler a workflow uses, so the engine can register them by name
 * without the application repeating itself.
 *
 * @example
 * ```ts
 * const { trigger, actions, conditions } = collectRegistrations(incident)
 * for (const a of actions) registry.actions.set(a.name, a)
 * ```
 */
export function collectRegistrations(wf: AnyWorkflow): WorkflowRegistrations {
  if (!(wf instanceof WorkflowBuilderImpl)) {
    throw new PulseValidationError('workflow', [
      { path: [], message: 'collectRegistrations() takes a workflow made with workflow("key").on(trigger)...' },
    ])
  }
  const { trigger, chain } = wf.props
  if (!trigger) {
    throw new PulseValidationError(chain.subject, [
      { path: ['triggerType'], message: 'the workflow has no trigger; call .on(trigger) before registering it' },
    ])
  }
  const { configSchema, cancelOn } = wf.props
  const signalTriggers = [...new Set([...cancelOn.map((c) => c.trigger), ...chain.awaited])]
  return {
    trigger,
    actions: [...chain.actions],
    conditions: [...chain.conditions],
    signalTriggers,
    ...(configSchema ? { configSchema } : {}),
  }
}
