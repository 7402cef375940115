import type { Claim, Store } from '../store/index.js'
import type { StepWatch, Telemetry } from '../telemetry/index.js'
import type { WorkflowStep } from '../types.js'
import type { HandlerRunner } from './handler-runner.js'
import { actionOutcome, conditionOutcome, type Outcome } from './handler-outcome.js'
import { MAX_JSON_DEPTH, toJsonValue } from './json-limits.js'
import type { OutcomeRecorder } from './record-outcome.js'
import type { Registry } from './registry.js'
import type { StepOutcome } from './run-state.js'
import { stepAt } from './step-path.js'
import { waitOutcome } from './wait-step.js'

/** Runs one claimed step by its type. */
export interface StepRunner {
  /** Runs the step and records its outcome; returns the next step when this worker already claimed it. */
  run(claim: Claim): Promise<Claim | null>
}

export interface StepRunnerDeps {
  store: Store
  registry: Registry
  /** Runs handlers with their timeout, heartbeat and abort signal. */
  handlers: HandlerRunner
  recorder: OutcomeRecorder
  /** Largest step output (`data`) recorded, in bytes of JSON. */
  maxOutputBytes: number
  telemetry: Telemetry
}

/**
 * What each step type does when its step is claimed, as an outcome for the planner: a delay has
 * run out, a parallel step starts its branches, a wait registers or reads what it waited for,
 * actions and conditions call their handlers.
 * Retries are the planner's: a failed attempt is an outcome like any other.
 */
export function createStepRunner(deps: StepRunnerDeps): StepRunner {
  const { registry, handlers, recorder } = deps

  async function outcomeOf(claim: Claim, watch?: StepWatch): Promise<StepOutcome> {
    const def = stepAt(claim.run.definitionSnapshot.steps, claim.step.path)
    switch (def.type) {
      case 'delay':
        return { kind: 'completed', result: { delayedMs: def.delayMs ?? 0 } }
      case 'parallel':
        return { kind: 'started' }
      case 'condition':
        return runCondition(claim, def, watch)
      case 'action':
        return runAction(claim, def, watch)
      case 'wait_for_signal':
        return waitOutcome(deps.store, claim, def)
    }
  }

  async function runAction(claim: Claim, def: WorkflowStep, watch: StepWatch | undefined): Promise<StepOutcome> {
    const { run } = claim
    const registered = registry.actions.get(def.name)
    if (run.isDryRun) {
      // A dry run says what a real replay would do with this action, without doing it.
      return { kind: 'skipped', result: { reason: 'dry run: actions do not run', wouldRun: registered?.replaySafe === true } }
    }
    if (run.isReplay && registered && !registered.replaySafe) {
      return { kind: 'skipped', result: { reason: 'replay: the action is not replay-safe' } }
    }
    const outcome: Outcome = registered
      ? await handlers.run(claim, def, async (ctx) => actionOutcome(await registered.handler(ctx)), watch)
      : { ok: false, error: unregistered('action', def.name) }
    if (!outcome.ok) return outcome.abandoned ? { kind: 'abandoned' } : { kind: 'failed', error: outcome.error }
    // Outputs are stored as JSON and read back by later steps: refuse what JSON cannot hold.
    const checked = toJsonValue(outcome.data ?? {}, { maxBytes: deps.maxOutputBytes, maxDepth: MAX_JSON_DEPTH }, ['data'])
    if ('value' in checked) {
      // An action without data still gets an (empty) entry, so `ctx.steps[name]` exists for later steps.
      const data = checked.value
      return { kind: 'completed', ...(outcome.data === undefined ? {} : { result: data }), output: data }
    }
    const problems = checked.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    return { kind: 'failed', error: `the action's output cannot be stored: ${problems}` }
  }

  async function runCondition(claim: Claim, def: WorkflowStep, watch: StepWatch | undefined): Promise<StepOutcome> {
    const registered = registry.conditions.get(def.name)
    let value: boolean | undefined
    const outcome: Outcome = registered
      ? await handlers.run(claim, def, async (ctx) => {
          const read = conditionOutcome(await registered.handler(ctx))
          if (!read.ok) return read
          value = read.value
          return { ok: true }
        }, watch)
      : { ok: false, error: unregistered('condition', def.name) }
    if (!outcome.ok) return outcome.abandoned ? { kind: 'abandoned' } : { kind: 'failed', error: outcome.error }
    return value ? { kind: 'completed', result: { value: true } } : { kind: 'condition-false' }
  }

  return {
    async run(claim) {
      const watch = deps.telemetry.step(claim)
      if (!watch) return recorder.record(claim, await outcomeOf(claim))
      let outcome: StepOutcome | undefined
      try {
        outcome = await watch.within(() => outcomeOf(claim, watch))
        const next = await recorder.record(claim, outcome)
        watch.end(outcome)
        return next
      } catch (err) {
        watch.end(outcome, err)
        throw err
      }
    },
  }
}

function unregistered(kind: 'action' | 'condition', name: string): string {
  const method = kind === 'action' ? 'registerAction' : 'registerCondition'
  return `${kind} "${name}" is not registered in this process; register it with engine.${method}("${name}", ...) before start()`
}
