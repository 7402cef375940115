import type { JsonObject } from '../../index.js'
import { CONFIG_FLAG, JSON_FLAG, requireFlag, stringFlag, type CommandSpec } from '../command.js'
import { CliUsageError } from '../errors.js'
import { signalJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { signalTrigger } from '../signal-types.js'
import { checkTenant } from '../tenants.js'

export const emitCommand: CommandSpec = {
  name: 'emit',
  summary: 'Emits a signal: stores it and starts a run of every enabled workflow of the tenant that matches it.',
  details:
    "The payload is checked against the trigger's schema from the config's workflows. Runs are queued; a worker (your application's, or pulse dev) executes them.",
  args: ['type'],
  flags: {
    tenant: { type: 'string', short: 't', value: '<id>', description: 'tenant the signal belongs to (required)' },
    payload: { type: 'string', short: 'p', value: '<json>', description: 'payload as a JSON object (default {})' },
    'resource-id': { type: 'string', value: '<id>', description: 'id of the resource the signal is about' },
    'resource-type': { type: 'string', value: '<type>', description: "resource type (default: the trigger's)" },
    environment: { type: 'string', value: '<name>', description: 'environment, e.g. production' },
    source: { type: 'string', value: '<name>', description: "emitting system (default: the trigger's)" },
    ...JSON_FLAG,
    ...CONFIG_FLAG,
  },
  examples: [
    `pulse emit user.signed_up --tenant workspace_1 --payload '{"email":"ada@example.com"}'`,
    `pulse emit heartbeat.missed -t workspace_1 --resource-id svc_42 --environment production -p '{"lastSeenAt":"2025-01-31T10:00:00Z"}'`,
  ],
  async run({ flags, positionals, cwd, output }) {
    const type = positionals[0]!
    const tenantId = requireFlag(emitCommand, flags, 'tenant')
    const payload = parsePayload(stringFlag(flags, 'payload'))
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    await checkTenant(loaded, tenantId)
    const declared = signalTrigger(loaded, type)
    const { trigger, runs } = await withEngine(loaded, async ({ engine }) => {
      const stored = await engine.emit({
        tenantId,
        type,
        payload,
        source: stringFlag(flags, 'source'),
        resourceId: stringFlag(flags, 'resource-id'),
        resourceType: stringFlag(flags, 'resource-type') ?? declared?.resourceType,
        environment: stringFlag(flags, 'environment'),
      })
      return { trigger: stored, runs: await engine.getRunsByTrigger(stored.id) }
    }, { onOpen: printWhere(output, flags) })
    if (flags.json === true) {
      output.json(signalJson(trigger, runs))
      return 0
    }
    output.out(`${output.green('emitted')} ${trigger.type} ${output.bold(trigger.id)} for tenant ${tenantId}`)
    if (runs.length === 0) {
      output.out(output.dim(`no enabled workflow of tenant ${tenantId} matches it (run "pulse sync" if you expected one)`))
    }
    for (const run of runs) output.out(`  started ${output.bold(run.id)} ${run.definitionSnapshot.key ?? run.definitionSnapshot.name} (${run.status})`)
    return 0
  },
}

function parsePayload(text: string | undefined): JsonObject {
  if (text === undefined) return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new CliUsageError(`--payload is not valid JSON (${(err as Error).message}); quote it, e.g. --payload '{"email":"ada@example.com"}'`, 'emit')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliUsageError('--payload must be a JSON object, e.g. {"email":"ada@example.com"}', 'emit')
  return value as JsonObject
}
