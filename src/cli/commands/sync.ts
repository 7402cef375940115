import type { Engine, SyncOptions, SyncPlan } from '../../index.js'
import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { CliError } from '../errors.js'
import { NoEmbeddedDatabaseError } from '../embedded-session.js'
import { loadConfig } from '../load-config.js'
import { slowStep } from '../progress.js'
import type { Output } from '../output.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { checkTenant, configTenants } from '../tenants.js'

/** Above this many tenants a terminal gets a progress line and unchanged tenants get one line each. */
const MANY_TENANTS = 20

type PlanSummary = Omit<SyncPlan, 'definitions'>

export const syncCommand: CommandSpec = {
  name: 'sync',
  summary: "Makes each tenant's stored workflows match the config's: creates new ones, stores a new version of changed ones.",
  details: 'Runs in flight keep the version they started with. Without --tenant it syncs every tenant in the config. Creates the tables first if needed.',
  flags: {
    tenant: { type: 'string', short: 't', multiple: true, value: '<id>', description: 'only this tenant (repeatable)' },
    'dry-run': { type: 'boolean', description: 'print the plan without writing anything' },
    prune: { type: 'boolean', description: 'disable stored workflows whose key is no longer in the config' },
    ...JSON_FLAG,
    ...CONFIG_FLAG,
  },
  examples: ['pulse sync --dry-run', 'pulse sync', 'pulse sync --tenant workspace_1 --prune', 'pulse sync --dry-run --json | jq .summary'],
  async run({ flags, cwd, output }) {
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    const dryRun = flags['dry-run'] === true
    const prune = flags.prune === true
    const chosen = flags.tenant as string[] | undefined
    for (const id of chosen ?? []) await checkTenant(loaded, id)
    const tenants = chosen ?? (await configTenants(loaded))
    if (!tenants || tenants.length === 0) throw new CliError(`no tenants to sync: add tenants to ${loaded.name} or pass --tenant <id>`)

    const plans = await withEngine(
      loaded,
      async ({ engine }) => {
      if (!dryRun) await slowStep(undefined, 'migrating the tables', () => engine.migrate())
      const progress = tenants.length > MANY_TENANTS && process.stderr.isTTY && flags.json !== true
      const result: PlanSummary[] = []
      for (const [i, tenantId] of tenants.entries()) {
        if (progress) process.stderr.write(`\rsyncing tenant ${i + 1}/${tenants.length} `)
        result.push(summarize(await syncOne(engine, { tenantId, workflows: loaded.workflows, prune, dryRun })))
      }
      if (progress) process.stderr.write('\r\u001b[K')
      return result
      },
      { readOnly: dryRun, onOpen: printWhere(output, flags) },
    ).catch((err: unknown) => {
      // A dry run on an embedded folder that does not exist yet: every workflow would be created.
      if (!(err instanceof NoEmbeddedDatabaseError)) throw err
      if (flags.json !== true) output.out(output.dim(`no embedded database in ${err.dataDir} yet: every workflow would be created`))
      return tenants.map((tenantId) => ({ tenantId, dryRun: true, created: loaded.workflows.map((wf) => ({ key: wf.key, version: 1 })), updated: [], unchanged: [], disabled: [] }))
    })

    const summary = {
      tenants: plans.length,
      created: count(plans, 'created'),
      updated: count(plans, 'updated'),
      unchanged: count(plans, 'unchanged'),
      disabled: count(plans, 'disabled'),
    }
    if (flags.json === true) {
      output.json({ dryRun, tenants: plans, summary })
      return 0
    }
    for (const plan of plans) printPlan(output, plan, plans.length <= MANY_TENANTS)
    output.out('')
    output.out(
      `${output.bold(dryRun ? 'Dry run, nothing written:' : 'Synced:')} ${summary.tenants} tenant${summary.tenants === 1 ? '' : 's'}, ` +
        `${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.disabled} disabled`,
    )
    return 0
  },
}

/**
 * A dry run must not write, not even the tables: on a database the engine has never used, every
 * workflow of the config would be created.
 */
async function syncOne(engine: Engine, options: SyncOptions): Promise<SyncPlan> {
  try {
    return await engine.sync(options)
  } catch (err) {
    if (!options.dryRun || (err as { code?: unknown }).code !== '42P01') throw err
    const created = options.workflows.map((wf) => ({ key: wf.key, version: 1 }))
    return { tenantId: options.tenantId, dryRun: true, created, updated: [], unchanged: [], disabled: [], definitions: [] }
  }
}

function summarize({ definitions: _definitions, ...plan }: SyncPlan): PlanSummary {
  return plan
}

function count(plans: PlanSummary[], kind: 'created' | 'updated' | 'unchanged' | 'disabled'): number {
  return plans.reduce((n, p) => n + p[kind].length, 0)
}

function printPlan(output: Output, plan: PlanSummary, detailed: boolean): void {
  const changed = plan.created.length + plan.updated.length + plan.disabled.length > 0
  output.out(
    `${output.bold(plan.tenantId)}: ${plan.created.length} created, ${plan.updated.length} updated, ${plan.unchanged.length} unchanged, ${plan.disabled.length} disabled`,
  )
  if (!detailed && !changed) return
  const line = (mark: string, key: string, note: string) => output.out(`  ${mark} ${key}  ${output.dim(note)}`)
  for (const e of plan.created) line(output.green('+'), e.key, `created v${e.version ?? 1}`)
  for (const e of plan.updated) line(output.yellow('~'), e.key, `updated to v${e.version ?? '?'}`)
  if (detailed) for (const e of plan.unchanged) line(output.dim('='), e.key, `unchanged v${e.version ?? '?'}`)
  for (const e of plan.disabled) line(output.red('-'), e.key, `disabled v${e.version ?? '?'}`)
}
