import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { CliError } from '../errors.js'
import { runJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'

export const replayCommand: CommandSpec = {
  name: 'replay',
  summary: "Matches a stored signal again against the tenant's current workflows and starts new runs marked as replays.",
  details: 'Actions not declared replaySafe are skipped in replays; --dry-run skips every action.',
  args: ['triggerId'],
  flags: { 'dry-run': { type: 'boolean', description: 'skip every action: see which steps would run' }, ...JSON_FLAG, ...CONFIG_FLAG },
  examples: ['pulse replay trg_01m96ax4k7d2qv8c3rj5tn9w6e --dry-run', 'pulse replay trg_01m96ax4k7d2qv8c3rj5tn9w6e'],
  async run({ flags, positionals, cwd, output }) {
    const triggerId = positionals[0]!
    const dryRun = flags['dry-run'] === true
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    const runs = await withEngine(loaded, async ({ engine }) => {
      try {
        return await engine.replay(triggerId, { dryRun })
      } catch (err) {
        if ((err as { code?: unknown }).code === 'NOT_FOUND') {
          throw new CliError(`signal "${triggerId}" does not exist; "pulse emit" prints signal ids, and "pulse run <runId>" shows a run's`, { cause: err })
        }
        throw err
      }
    }, { readOnly: true, onOpen: printWhere(output, flags) })
    if (flags.json === true) {
      output.json(runs.map(runJson))
      return 0
    }
    output.out(`${output.green('replayed')} ${triggerId}${dryRun ? ' (dry run: actions are skipped)' : ''}: ${runs.length} run${runs.length === 1 ? '' : 's'}`)
    for (const run of runs) output.out(`  started ${output.bold(run.id)} ${run.definitionSnapshot.key ?? run.definitionSnapshot.name} (${run.status})`)
    return 0
  },
}
