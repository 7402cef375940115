import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { JSON_FLAG, type CommandSpec } from '../command.js'
import { CliError } from '../errors.js'
import { ignorePulseFolder } from '../gitignore.js'

const CONFIG_FILE = 'pulse.config.ts'
const WORKFLOW_FILE = 'workflows/welcome.ts'

const CONFIG_TEMPLATE = `import { defineConfig } from 'pulse-engine'
import { welcome } from './workflows/welcome.js'

export default defineConfig({
  // Workflow objects, or module paths / globs that export them: './workflows/*.ts'
  workflows: [welcome],
  // The tenants \`pulse sync\` stores the workflows for (or an async function returning ids).
  tenants: ['workspace_1'],
  // Without a database the CLI runs an embedded Postgres in .pulse/ (pulse dev serves it to the other commands).
  database: process.env.DATABASE_URL,
  // Optional: BullMQ on Redis instead of Postgres.
  redis: process.env.REDIS_URL,
})
`

const WORKFLOW_TEMPLATE = `import { z } from 'zod'
import { condition, trigger, workflow } from 'pulse-engine'

/** Emitted by the app when someone signs up: pulse emit user.signed_up --tenant workspace_1 --payload '{"email":"ada@example.com"}' */
export const userSignedUp = trigger('user.signed_up', {
  source: 'app',
  resourceType: 'user',
  payload: z.object({ email: z.string() }),
})

const sendWelcomeEmail = userSignedUp.action('send_welcome_email', async (ctx) => {
  ctx.log('sending welcome email', { to: ctx.trigger.payload.email })
  return { success: true, data: { sentTo: ctx.trigger.payload.email } }
})

const notActivated = condition('not_activated_yet', async () => true)

const sendTips = userSignedUp.action('send_tips', async (ctx) => {
  ctx.log('sending tips', { to: ctx.trigger.payload.email })
})

export const welcome = workflow('welcome-new-user')
  .name('Welcome a new user')
  .on(userSignedUp)
  .do(sendWelcomeEmail)
  // A real welcome flow would wait days ('2d'); 10 seconds lets you watch the first run finish.
  // "pulse dev --fast-delays" makes long delays 1000 times shorter while you develop.
  .delay('10s')
  .when(notActivated, { onFalse: 'complete' })
  .do(sendTips)
`

export const initCommand: CommandSpec = {
  name: 'init',
  summary: `Creates a starter ${CONFIG_FILE} and an example workflow (${WORKFLOW_FILE}).`,
  flags: { force: { type: 'boolean', short: 'f', description: 'overwrite the files if they exist' }, ...JSON_FLAG },
  examples: ['pulse init', 'pulse init --force'],
  async run({ flags, cwd, output }) {
    const files: [string, string][] = [
      [join(cwd, CONFIG_FILE), CONFIG_TEMPLATE],
      [join(cwd, WORKFLOW_FILE), WORKFLOW_TEMPLATE],
    ]
    const existing = files.filter(([path]) => existsSync(path)).map(([path]) => relative(cwd, path))
    if (existing.length > 0 && flags.force !== true) {
      throw new CliError(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; pass --force to overwrite`, { code: 'CONFLICT' })
    }
    for (const [path, text] of files) {
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, text)
      if (flags.json !== true) output.out(`${output.green('created')} ${relative(cwd, path)}`)
    }
    if (flags.json === true) {
      output.json({ created: files.map(([path]) => relative(cwd, path)) })
      return 0
    }
    const ignored = await ignorePulseFolder(cwd)
    if (ignored) output.out(`${output.green(ignored)} .gitignore ${output.dim('(ignores .pulse/, the embedded database)')}`)
    output.out('')
    output.out('Next (the example uses zod and pulse-engine: npm install pulse-engine zod):')
    output.out('  pulse sync --dry-run   # what would be stored for each tenant')
    output.out('  pulse sync             # store it')
    output.out(`  pulse emit user.signed_up --tenant workspace_1 --payload '{"email":"ada@example.com"}'`)
    output.out('  pulse dev              # run the workflows, reloading on change; the run completes after its 10 s delay')
    return 0
  },
}
