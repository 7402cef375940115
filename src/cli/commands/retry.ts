import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { runJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { runNotFound } from './run-errors.js'

export const retryCommand: CommandSpec = {
  name: 'retry',
  summary: 'Retries a failed run from the step that failed.',
  details: 'The failed steps are queued again; a worker (your application, or pulse dev) runs them.',
  args: ['runId'],
  flags: { ...JSON_FLAG, ...CONFIG_FLAG },
  examples: ['pulse retry run_01m96b2c7x4k9e3qv8d5rj2tn6', 'pulse runs --status failed --json | jq -r ".[].id" | xargs -n1 pulse retry'],
  async run({ flags, positionals, cwd, output }) {
    const runId = positionals[0]!
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    const run = await withEngine(loaded, ({ engine }) => runNotFound(runId, engine.retryRun(runId)), { readOnly: true, onOpen: printWhere(output, flags) })
    if (flags.json === true) {
      output.json(runJson(run))
      return 0
    }
    output.out(`${output.green('retrying')} ${output.bold(run.id)} (${run.definitionSnapshot.key ?? run.definitionSnapshot.name}), now ${output.status(run.status)}`)
    return 0
  },
}
