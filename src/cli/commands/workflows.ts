import { CONFIG_FLAG, JSON_FLAG, stringFlag, type CommandSpec } from '../command.js'
import { describeCancelOn } from '../describe-wait.js'
import { formatTime } from '../format.js'
import { nextTicks, workflowJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { table } from '../output.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { checkTenant } from '../tenants.js'

export const workflowsCommand: CommandSpec = {
  name: 'workflows',
  summary: 'Lists the stored workflow definitions: version, enabled or not, trigger, tenant and the next cron ticks.',
  details: 'Shows what the database holds, which is what signals are matched against; "pulse sync --dry-run" compares it with the config.',
  flags: {
    tenant: { type: 'string', short: 't', value: '<id>', description: 'only this tenant' },
    ...JSON_FLAG,
    ...CONFIG_FLAG,
  },
  examples: ['pulse workflows', 'pulse workflows --tenant workspace_1', 'pulse workflows --json | jq ".[] | select(.enabled | not) | .key"'],
  async run({ flags, cwd, output }) {
    const tenantId = stringFlag(flags, 'tenant')
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    if (tenantId !== undefined) await checkTenant(loaded, tenantId)
    const definitions = await withEngine(loaded, ({ engine }) => engine.listWorkflows({ tenantId }), { readOnly: true, onOpen: printWhere(output, flags) })
    if (flags.json === true) {
      output.json(definitions.map((def) => workflowJson(def)))
      return 0
    }
    if (definitions.length === 0) {
      output.out(`no workflows stored${tenantId ? ` for tenant ${tenantId}` : ''}; run "pulse sync" to store the config's`)
      return 0
    }
    const now = new Date()
    const rows = definitions.map((def) => {
      const trigger = [
        def.triggerType,
        def.environmentFilter && `env ${def.environmentFilter}`,
        def.resourceTypeFilter && `resource ${def.resourceTypeFilter}`,
        ...(def.cancelOn ?? []).map(describeCancelOn),
      ]
      const next = def.cronExpression && def.isEnabled ? formatTime(nextTicks(def.cronExpression, def.cronTimezone, now, 1)[0]) : ''
      return [
        def.key ?? def.name,
        `v${def.version}`,
        def.tenantId,
        def.isEnabled ? output.green('enabled') : output.dim('disabled'),
        trigger.filter(Boolean).join(', '),
        def.cronExpression ? `${def.cronExpression}${def.cronTimezone ? ` (${def.cronTimezone})` : ''}` : '',
        next,
      ]
    })
    output.out(table(['KEY', 'VERSION', 'TENANT', 'STATE', 'TRIGGER', 'CRON', 'NEXT TICK (UTC)'], rows, output.bold))
    return 0
  },
}
