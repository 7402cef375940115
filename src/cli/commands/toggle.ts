import { CONFIG_FLAG, JSON_FLAG, requireFlag, type CommandSpec } from '../command.js'
import { CliError } from '../errors.js'
import { workflowJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { checkTenant } from '../tenants.js'

/** `pulse enable` and `pulse disable`: the same lookup by key, then the engine's enable or disable. */
function toggleCommand(enable: boolean): CommandSpec {
  const name = enable ? 'enable' : 'disable'
  const spec: CommandSpec = {
    name,
    summary: enable
      ? "Enables a tenant's stored workflow: it matches signals again and its cron schedule resumes."
      : "Disables a tenant's stored workflow: it stops matching new signals and its cron schedule pauses. Runs already started go on.",
    details:
      'For operations (pause a misbehaving workflow now). The code still decides in the end: the next "pulse sync" (or pulse dev) ' +
      'sets the enabled state back to what the workflow says, so to keep one off, mark it .disabled() in code.',
    args: ['workflowKey'],
    flags: {
      tenant: { type: 'string', short: 't', value: '<id>', description: 'tenant whose workflow to change (required)' },
      ...JSON_FLAG,
      ...CONFIG_FLAG,
    },
    examples: [`pulse ${name} trial-expiration --tenant workspace_1`, `pulse ${name} nightly-report -t workspace_1 --json`],
    async run({ flags, positionals, cwd, output }) {
      const key = positionals[0]!
      const tenantId = requireFlag(spec, flags, 'tenant')
      const loaded = await loadConfig(cwd, flags.config as string | undefined)
      await checkTenant(loaded, tenantId)
      const { before, after } = await withEngine(loaded, async ({ engine }) => {
        const [found] = await engine.listWorkflows({ tenantId, key })
        if (!found) {
          const stored = (await engine.listWorkflows({ tenantId })).map((d) => d.key ?? d.name)
          throw new CliError(
            `tenant "${tenantId}" has no stored workflow "${key}" (stored: ${stored.join(', ') || 'none'}); "pulse workflows" lists them, "pulse sync" stores the config's`,
            { code: 'NOT_FOUND' },
          )
        }
        if (enable) await engine.enableWorkflow(found.id)
        else await engine.disableWorkflow(found.id)
        const [changed] = await engine.listWorkflows({ tenantId, key })
        return { before: found, after: changed ?? found }
      }, { readOnly: true, onOpen: printWhere(output, flags) })
      if (flags.json === true) {
        output.json(workflowJson(after))
        return 0
      }
      const state = enable ? output.green('enabled') : output.yellow('disabled')
      const note = before.isEnabled === enable ? ` (it already was)` : ''
      output.out(`${state} ${output.bold(key)} v${after.version} for tenant ${tenantId}${note}`)
      return 0
    },
  }
  return spec
}

export const enableCommand = toggleCommand(true)
export const disableCommand = toggleCommand(false)
