import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { loadConfig } from '../load-config.js'
import { slowStep } from '../progress.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'

export const migrateCommand: CommandSpec = {
  name: 'migrate',
  summary: "Creates the engine's tables, or brings them up to date. Safe to run on every deploy.",
  flags: { ...JSON_FLAG, ...CONFIG_FLAG },
  examples: ['pulse migrate', 'DATABASE_URL=postgres://localhost/app pulse migrate', 'pulse migrate --json'],
  async run({ flags, cwd, output }) {
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    await withEngine(loaded, async ({ engine, target, mode }) => {
      await slowStep(undefined, 'migrating the tables', () => engine.migrate())
      const { tablePrefix } = await engine.info()
      if (flags.json === true) {
        const { schema } = await engine.health()
        output.json({ mode, target, tablePrefix, schemaVersion: schema.version })
        return
      }
      output.out(`${output.green('migrated')} tables "${tablePrefix}*" in ${target} are up to date`)
    }, { onOpen: printWhere(output, flags) })
    return 0
  },
}
