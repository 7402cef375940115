#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { helpText, parseCommandArgs, type CommandSpec } from './command.js'
import { cancelCommand } from './commands/cancel.js'
import { dashboardCommand } from './commands/dashboard.js'
import { devCommand } from './commands/dev.js'
import { emitCommand } from './commands/emit.js'
import { graphCommand } from './commands/graph.js'
import { initCommand } from './commands/init.js'
import { migrateCommand } from './commands/migrate.js'
import { replayCommand } from './commands/replay.js'
import { retryCommand } from './commands/retry.js'
import { runCommand } from './commands/run.js'
import { runsCommand } from './commands/runs.js'
import { syncCommand } from './commands/sync.js'
import { didYouMean } from './did-you-mean.js'
import { doctorCommand } from './commands/doctor.js'
import { signalsCommand } from './commands/signals.js'
import { disableCommand, enableCommand } from './commands/toggle.js'
import { workerCommand } from './commands/worker.js'
import { workflowsCommand } from './commands/workflows.js'
import { CliError, CliUsageError, EXIT } from './errors.js'
import { createOutput, type Output } from './output.js'

const COMMANDS: CommandSpec[] = [
  initCommand,
  migrateCommand,
  syncCommand,
  emitCommand,
  runsCommand,
  runCommand,
  retryCommand,
  cancelCommand,
  replayCommand,
  graphCommand,
  devCommand,
  dashboardCommand,
  signalsCommand,
  workflowsCommand,
  enableCommand,
  disableCommand,
  doctorCommand,
  workerCommand,
]

function mainHelp(output: Output): string {
  const pad = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    `${output.bold('Usage:')} pulse <command> [flags]`,
    '',
    'pulse-engine from the terminal: sync workflows, emit signals, inspect and operate runs.',
    '',
    output.bold('Commands:'),
    ...COMMANDS.map((c) => `  ${c.name.padEnd(pad)}  ${c.summary}`),
    '',
    'Run "pulse help <command>" (or "pulse <command> --help") for its flags and examples.',
    '',
    output.bold('Examples:'),
    '  pulse init && pulse sync --dry-run && pulse sync',
    `  pulse emit user.signed_up --tenant workspace_1 --payload '{"email":"ada@example.com"}'`,
    '  pulse runs --status failed',
  ].join('\n')
}

/** The command of that name, or a usage error with the one most likely meant. */
function findCommand(name: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name)
  if (spec) return spec
  const names = COMMANDS.map((c) => c.name)
  const suggestion = didYouMean(name, names)
  throw new CliUsageError(`unknown command "${name}"${suggestion || `; commands: ${names.join(', ')}`}`)
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

async function main(argv: string[]): Promise<number> {
  const output = createOutput()
  const [name, ...rest] = argv
  let spec: CommandSpec | undefined
  try {
    if (name === 'help' && rest.length > 0) {
      // "pulse help emit" is "pulse emit --help".
      output.out(helpText(findCommand(rest[0]!), output))
      return EXIT.ok
    }
    // Bare "pulse" asked for nothing that could fail: the overview is the answer, as with --help.
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      output.out(mainHelp(output))
      return EXIT.ok
    }
    if (name === '--version' || name === '-v') {
      output.out(version())
      return EXIT.ok
    }
    spec = findCommand(name)
    const { flags, positionals, help } = parseCommandArgs(spec, rest)
    if (help) {
      output.out(helpText(spec, output))
      return EXIT.ok
    }
    return await spec.run({ flags, positionals, output, cwd: process.cwd(), cliPath: fileURLToPath(import.meta.url) })
  } catch (err) {
    // Under --json a script reads the error too: one JSON line on stderr, stdout left empty.
    if (rest.includes('--json')) {
      output.jsonError(err)
      return err instanceof CliUsageError ? EXIT.usage : EXIT.failed
    }
    if (err instanceof CliUsageError) {
      output.err(`${output.red('error:')} ${err.message}`)
      output.err(`Run "pulse ${err.command ?? ''}${err.command ? ' ' : ''}--help" for usage.`)
      return EXIT.usage
    }
    const message = err instanceof CliError ? err.message : err instanceof Error ? err.message : String(err)
    output.err(`${output.red('error:')} ${message}`)
    if (process.env.PULSE_DEBUG && err instanceof Error) output.err(err.stack)
    return EXIT.failed
  }
}

const code = await main(process.argv.slice(2))
// Exit explicitly: a connection library that keeps a timer alive must not keep the CLI open.
process.stdout.write('', () => process.exit(code))
