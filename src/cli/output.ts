import { stripVTControlCharacters } from 'node:util'
import { errorCode } from './error-codes.js'
import type { ErrorJson } from './json-shapes.js'

/** Colors and writers for one run of the CLI. */
export interface Output {
  color: boolean
  out(text?: string): void
  err(text?: string): void
  /** Prints a value as pretty JSON on stdout, for `--json`. */
  json(value: unknown): void
  /** Prints a value as one line of JSON on stdout: for output that streams (`--watch`, `--follow`, `worker`). */
  jsonLine(value: unknown): void
  /** Prints an error under `--json`: `{"error":{"code","message"}}` on one line of stderr. */
  jsonError(err: unknown): void
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
  /** Colors a run or step status by what it means. */
  status(status: string): string
}

/**
 * Colors only on a terminal, never with NO_COLOR (https://no-color.org: set and not empty);
 * FORCE_COLOR turns them on where there is no terminal, e.g. in CI logs.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true
}

export function createOutput(env: NodeJS.ProcessEnv = process.env): Output {
  const color = colorEnabled(process.stdout, env)
  const paint = (open: number, close: number) => (text: string) => (color ? `\u001b[${open}m${text}\u001b[${close}m` : text)
  const red = paint(31, 39)
  const green = paint(32, 39)
  const yellow = paint(33, 39)
  const cyan = paint(36, 39)
  const dim = paint(2, 22)
  return {
    color,
    out: (text = '') => void process.stdout.write(`${text}\n`),
    err: (text = '') => void process.stderr.write(`${text}\n`),
    json: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    jsonLine: (value) => void process.stdout.write(`${JSON.stringify(value)}\n`),
    jsonError(err) {
      const message = err instanceof Error ? err.message : String(err)
      const value: ErrorJson = { error: { code: errorCode(err), message } }
      process.stderr.write(`${JSON.stringify(value)}\n`)
    },
    bold: paint(1, 22),
    dim,
    red,
    green,
    yellow,
    cyan,
    status(status) {
      if (status === 'completed') return green(status)
      if (status === 'failed') return red(status)
      if (status === 'canceled' || status === 'skipped') return dim(status)
      if (status === 'running' || status === 'waiting' || status === 'scheduled') return yellow(status)
      return status
    },
  }
}

/** Lays rows out in aligned columns; widths ignore color codes. */
export function table(headers: string[], rows: string[][], style: (header: string) => string = (h) => h): string {
  const width = (text: string) => stripVTControlCharacters(text).length
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell))))
      .join('  ')
      .trimEnd()
  return [style(line(headers)), ...rows.map(line)].join('\n')
}
