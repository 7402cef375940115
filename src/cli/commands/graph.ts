import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { CliError } from '../errors.js'
import { loadConfig } from '../load-config.js'
import { workflowToMermaid } from '../mermaid.js'

export const graphCommand: CommandSpec = {
  name: 'graph',
  summary: "Prints a workflow of the config as a Mermaid flowchart. Needs no database.",
  details: 'Paste the output into a ```mermaid block of a Markdown file, or https://mermaid.live.',
  args: ['workflowKey'],
  flags: { ...JSON_FLAG, ...CONFIG_FLAG },
  examples: ['pulse graph welcome-new-user', 'pulse graph incident-on-missed-heartbeat > docs/incident.mmd'],
  async run({ flags, positionals, cwd, output }) {
    const key = positionals[0]!
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    const workflow = loaded.workflows.find((wf) => wf.key === key)
    if (!workflow) {
      const keys = loaded.workflows.map((wf) => wf.key).join(', ') || 'none'
      throw new CliError(`workflow "${key}" is not in ${loaded.name} (workflows: ${keys})`, { code: 'NOT_FOUND' })
    }
    const mermaid = workflowToMermaid(loaded.lib.compile(workflow))
    if (flags.json === true) {
      output.json({ workflowKey: key, mermaid })
      return 0
    }
    output.out(mermaid)
    return 0
  },
}
