import { definitionHash, validateSpec } from '../definition/index.js'
import { collectRegistrations, configIssues, type AnyWorkflow } from '../dsl/index.js'
import { PulseError, PulseValidationError, type ValidationIssue } from '../errors.js'
import type { CronQueue } from '../queue/index.js'
import type { Store } from '../store/index.js'
import type { JsonObject, WorkflowDefinition, WorkflowSpec } from '../types.js'
import { applySchedule } from './cron.js'
import { handlersIn, missingHandlers, missingMessage } from './handler-check.js'
import type { Registry } from './registry.js'
import { unregisteredSignalTypes } from './signal-type-check.js'
import { syncTenant, type SyncPlan } from './sync.js'

/** What `engine.sync()` takes for one tenant. */
export interface SyncOptions {
  tenantId: string
  /** The workflows in code: DSL workflows or compiled specs. */
  workflows: (AnyWorkflow | WorkflowSpec)[]
  /** Disable this tenant's workflows whose key is no longer in `workflows`. */
  prune?: boolean
  /** Report what would change without writing. */
  dryRun?: boolean
  /** Per-workflow config for this tenant, by workflow key, merged over the workflow's config. */
  config?: Record<string, JsonObject>
}

export interface SyncDeps {
  store: Store
  registry: Registry
  cron: CronQueue
  /** The engine option: signal types nobody registered are accepted. */
  allowUnregisteredTriggers: boolean
}

/**
 * `engine.sync()` for one tenant: compiles the DSL workflows, checks config overrides against
 * their schemas and that every handler they use is registered (here, or carried by the workflow
 * itself), stores the result (see syncTenant) and puts the cron schedules in line.
 */
export async function syncWorkflows(deps: SyncDeps, input: SyncOptions): Promise<SyncPlan> {
  const specs: WorkflowSpec[] = []
  const carried = new Set<string>()
  const fromCode = new Set<string>()
  const configIssuesFound: ValidationIssue[] = []
  for (const wf of input.workflows) {
    if (isWorkflow(wf)) {
      const spec = wf.compile()
      specs.push(spec)
      fromCode.add(spec.key)
      const { actions, conditions, configSchema } = collectRegistrations(wf)
      for (const h of [...actions, ...conditions]) carried.add(`${h.kind}:${h.name}`)
      const override = input.config?.[spec.key]
      if (configSchema && override) {
        for (const issue of configIssues(configSchema, { ...spec.config, ...override })) {
          configIssuesFound.push({ path: ['config', spec.key, ...issue.path.slice(1)], message: issue.message })
        }
      }
    } else {
      specs.push(wf)
    }
  }
  if (configIssuesFound.length > 0) throw new PulseValidationError(`config overrides for tenant "${input.tenantId}"`, configIssuesFound)
  const missing = missingHandlers(
    deps.registry,
    specs.flatMap((s) => handlersIn(s.steps, s.key ?? s.name)),
  ).filter((m) => !carried.has(`${m.type}:${m.name}`))
  if (missing.length > 0) {
    const issues = missing.map((m) => ({ path: ['workflows', m.workflow, 'steps', m.name], message: missingMessage(m) }))
    throw new PulseValidationError(`sync of tenant "${input.tenantId}"`, issues)
  }
  // A DSL workflow names the signals it waits for and cancels on with trigger objects, which
  // cannot be misspelled; JSON names them as strings, which can.
  const check = deps.allowUnregisteredTriggers ? undefined : (spec: WorkflowSpec) => (fromCode.has(spec.key) ? [] : unregisteredSignalTypes(deps.registry, spec))
  const plan = await syncTenant(deps.store, { tenantId: input.tenantId, specs, prune: input.prune, dryRun: input.dryRun, config: input.config, check })
  if (!plan.dryRun) {
    const touched = new Set([...plan.created, ...plan.updated, ...plan.disabled].map((e) => e.definitionId))
    for (const def of plan.definitions) {
      if (touched.has(def.id) && (def.cronExpression || !def.isEnabled)) await applySchedule(deps.cron, def)
    }
  }
  return plan
}

/**
 * `engine.createWorkflow()`: stores one validated definition for a tenant and schedules its
 * cron. Its wait steps and cancelOn must name registered signal types, unless the engine allows
 * unregistered ones.
 */
export async function createWorkflow(deps: SyncDeps, tenantId: string, spec: unknown): Promise<WorkflowDefinition> {
  const clean = validateSpec(spec, { keyOptional: true })
  const unregistered = deps.allowUnregisteredTriggers ? [] : unregisteredSignalTypes(deps.registry, clean)
  if (unregistered.length > 0) throw new PulseValidationError(`workflow "${clean.key ?? clean.name}"`, unregistered)
  let def: WorkflowDefinition
  try {
    def = await deps.store.definitions.insert({ ...clean, tenantId: tenantId, hash: definitionHash(clean) })
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new PulseError('CONFLICT', `tenant "${tenantId}" already has a workflow with key "${clean.key}"; use engine.sync() to update it`, { cause: err })
    }
    throw err
  }
  if (def.cronExpression) await applySchedule(deps.cron, def)
  return def
}

function isWorkflow(value: AnyWorkflow | WorkflowSpec): value is AnyWorkflow {
  return (value as AnyWorkflow).kind === 'workflow' && typeof (value as AnyWorkflow).compile === 'function'
}
