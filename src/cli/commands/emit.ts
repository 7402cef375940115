import { describeSkip } from '../describe-flow.js'
import type { JsonObject } from '../../index.js'
import { CONFIG_FLAG, JSON_FLAG, requireFlag, stringFlag, type CommandSpec } from '../command.js'
import { CliUsageError } from '../errors.js'
import { emitJson } from '../json-shapes.js'
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
    'idempotency-key': {
      type: 'string',
      value: '<key>',
      description: 'emit once per key: a repeat within the engine\'s idempotencyWindowMs (default 24 h) prints the first signal and writes nothing',
    },
    ...JSON_FLAG,
    ...CONFIG_FLAG,
  },
  examples: [
    `pulse emit user.signed_up --tenant workspace_1 --payload '{"email":"ada@example.com"}'`,
    `pulse emit heartbeat.missed -t workspace_1 --resource-id svc_42 --environment production -p '{"lastSeenAt":"2025-01-31T10:00:00Z"}'`,
    `pulse emit invoice.paid -t workspace_1 -p '{"invoiceId":"in_42"}' --idempotency-key stripe-evt_1Nv0`,
  ],
  async run({ flags, positionals, cwd, output }) {
    const type = positionals[0]!
    const tenantId = requireFlag(emitCommand, flags, 'tenant')
    const payload = parsePayload(stringFlag(flags, 'payload'))
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    await checkTenant(loaded, tenantId)
    const declared = signalTrigger(loaded, type)
    const idempotencyKey = stringFlag(flags, 'idempotency-key')
    const { result, runs } = await withEngine(loaded, async ({ engine }) => {
      const emitted = await engine.emit({
        tenantId,
        type,
        payload,
        source: stringFlag(flags, 'source'),
        resourceId: stringFlag(flags, 'resource-id'),
        resourceType: stringFlag(flags, 'resource-type') ?? declared?.resourceType,
        environment: stringFlag(flags, 'environment'),
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      })
      // The runs this emit (or, deduplicated, the first one) started; replays of the signal are not its doing.
      const started = new Set(emitted.runs.map((r) => r.runId))
      return { result: emitted, runs: (await engine.getRunsByTrigger(emitted.id)).filter((run) => started.has(run.id)) }
    }, { onOpen: printWhere(output, flags) })
    if (flags.json === true) {
      output.json(emitJson(result, runs))
      return 0
    }
    if (result.deduplicated) {
      output.out(`${output.yellow('already emitted')} ${result.type} ${output.bold(result.id)} for tenant ${tenantId} with idempotency key "${idempotencyKey}"; nothing written`)
    } else {
      output.out(`${output.green('emitted')} ${result.type} ${output.bold(result.id)} for tenant ${tenantId}`)
    }
    if (runs.length === 0 && result.skipped.length === 0) {
      output.out(output.dim(`no enabled workflow of tenant ${tenantId} matches it (run "pulse sync" if you expected one)`))
    }
    const heldBy = new Map(result.runs.map((r) => [r.runId, r.heldBy]))
    for (const run of runs) {
      const held = heldBy.get(run.id)
      output.out(`  started ${output.bold(run.id)} ${run.definitionSnapshot.key ?? run.definitionSnapshot.name} (${run.status}${held ? `, held by its ${held}` : ''})`)
    }
    for (const skip of result.skipped) output.out(`  ${describeSkip(skip, output.bold)}`)
    for (const wait of result.resolvedWaits) output.out(`  resumed ${output.bold(wait.runId)}, whose wait "${wait.stepName}" it was`)
    for (const run of result.canceledRuns) output.out(`  canceled ${output.bold(run.runId)} ${run.workflowKey ?? ''} (its workflow cancels on ${result.type})`)
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
