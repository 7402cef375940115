import { parseArgs } from 'node:util'
import { didYouMean } from './did-you-mean.js'
import { CliUsageError } from './errors.js'
import type { Output } from './output.js'

/** One flag of a command, as `node:util` parseArgs takes it, plus what `--help` shows. */
export interface FlagSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** Shown after the flag in `--help`, e.g. `<id>`. */
  value?: string
  description: string
  /** Left out of `--help`: flags the CLI passes to itself. */
  hidden?: boolean
}

/** Values of parsed flags: strings, booleans, or lists of strings for `multiple` ones. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>

/** What a command's `run` receives. */
export interface CommandContext {
  flags: FlagValues
  positionals: string[]
  output: Output
  /** The working directory the command runs in. */
  cwd: string
  /** Path of the `pulse` script, for commands that start another CLI process (`pulse dev`). */
  cliPath: string
}

/** A `pulse` command: its flags and help text, and what it does. Returns the exit code. */
export interface CommandSpec {
  name: string
  summary: string
  /** Positional arguments in order; a trailing `?` marks an optional one. */
  args?: string[]
  flags?: Record<string, FlagSpec>
  examples: string[]
  /** Longer explanation printed by `--help`. */
  details?: string
  run(context: CommandContext): Promise<number>
}

/** Flags every command that reads the config takes. */
export const CONFIG_FLAG: Record<string, FlagSpec> = {
  config: { type: 'string', short: 'c', value: '<path>', description: 'config file (default: pulse.config.{ts,mts,js,mjs} in the working directory or the nearest folder above it)' },
}

export const JSON_FLAG: Record<string, FlagSpec> = {
  json: { type: 'boolean', description: 'print JSON for scripts instead of text' },
}

const HELP_FLAG: Record<string, FlagSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
}

/** Parses a command's arguments; unknown flags, missing or extra arguments are usage errors. */
export function parseCommandArgs(spec: CommandSpec, argv: string[]): { flags: FlagValues; positionals: string[]; help: boolean } {
  const options = { ...spec.flags, ...HELP_FLAG }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map(([name, f]) => [name, { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) }]),
      ),
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    throw new CliUsageError(parseErrorMessage(err as Error, options), spec.name)
  }
  const flags = parsed.values as FlagValues
  if (flags.help === true) return { flags, positionals: parsed.positionals, help: true }
  const args = spec.args ?? []
  const required = args.filter((a) => !a.endsWith('?'))
  if (parsed.positionals.length < required.length) {
    throw new CliUsageError(`missing argument <${required[parsed.positionals.length]}>`, spec.name)
  }
  if (parsed.positionals.length > args.length) {
    throw new CliUsageError(`unexpected argument "${parsed.positionals[args.length]}"`, spec.name)
  }
  return { flags, positionals: parsed.positionals, help: false }
}

/** node:util's parse error in the CLI's words, with the flag most likely meant for an unknown one. */
function parseErrorMessage(err: Error, options: Record<string, FlagSpec>): string {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message)?.[1]
  if (unknown === undefined) return err.message.replace(/\. To specify a positional argument.*$/s, '')
  const names = Object.entries(options).flatMap(([name, f]) => (f.hidden ? [] : [`--${name}`]))
  return `unknown flag ${unknown}${didYouMean(unknown, names, (s) => s)}`
}

/** A required string flag, or a usage error naming it. */
export function requireFlag(spec: CommandSpec, flags: FlagValues, name: string): string {
  const value = flags[name]
  if (typeof value !== 'string' || value.length === 0) throw new CliUsageError(`missing --${name}`, spec.name)
  return value
}

/** A string flag, or undefined. */
export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags[name]
  return typeof value === 'string' ? value : undefined
}

export function helpText(spec: CommandSpec, output: Output): string {
  const args = (spec.args ?? []).map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : `<${a}>`))
  const flags = { ...spec.flags, ...HELP_FLAG }
  const rows = Object.entries(flags).filter(([, f]) => !f.hidden).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.value ? ` ${f.value}` : ''}`
    return [left, f.description]
  })
  const pad = Math.max(...rows.map(([left]) => left!.length))
  return [
    `${output.bold('Usage:')} pulse ${spec.name}${args.length ? ` ${args.join(' ')}` : ''}${Object.keys(spec.flags ?? {}).length ? ' [flags]' : ''}`,
    '',
    spec.summary,
    ...(spec.details ? ['', spec.details] : []),
    '',
    output.bold('Flags:'),
    ...rows.map(([left, desc]) => `  ${left!.padEnd(pad)}  ${desc}`),
    '',
    output.bold('Examples:'),
    ...spec.examples.map((e) => `  ${e}`),
  ].join('\n')
}
