import { PulseValidationError } from '../errors.js'

type DurationUnit = 'd' | 'h' | 'm' | 's' | 'ms'
type DurationPart = `${bigint}${DurationUnit}`

/**
 * A duration written with units, largest first: `'30s'`, `'5m'`, `'2h'`, `'3d'`, `'1h30m'`,
 * `'250ms'`. The type catches most typos (`'5 minutes'`); {@link parseDuration} checks the rest.
 */
export type DurationString = DurationPart | `${DurationPart}${DurationPart}` | `${DurationPart}${DurationPart}${DurationPart}`

/** A whole number of milliseconds or a {@link DurationString}. */
export type DurationInput = number | DurationString

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const
const UNITS_LARGEST_FIRST = ['d', 'h', 'm', 's', 'ms'] as const
// Units must appear largest first and at most once, so '30m1h' and '1m1m' are rejected rather than guessed at.
const DURATION_PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/

/** Either the milliseconds a duration stands for or a sentence saying why it cannot be read. */
export type DurationReading = { ok: true; ms: number } | { ok: false; message: string }

/** {@link parseDuration} without throwing, so builders can report the problem at the step's path. */
export function readDuration(input: unknown): DurationReading {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) {
      return { ok: false, message: `duration ${String(input)} is not a whole, non-negative number of milliseconds` }
    }
    return { ok: true, ms: input }
  }
  if (typeof input !== 'string') {
    return { ok: false, message: `duration must be a number of milliseconds or a string such as "5m"; got ${describe(input)}` }
  }
  const match = input.length > 0 ? DURATION_PATTERN.exec(input) : null
  if (!match) {
    return {
      ok: false,
      message: `duration "${input}" is not valid; write whole numbers with units d, h, m, s or ms, largest first, without spaces, e.g. "30s", "5m", "1h30m", or pass milliseconds as a number`,
    }
  }
  let ms = 0
  UNITS_LARGEST_FIRST.forEach((unit, i) => {
    const amount = match[i + 1]
    if (amount !== undefined) ms += Number(amount) * UNIT_MS[unit]
  })
  if (!Number.isSafeInteger(ms)) return { ok: false, message: `duration "${input}" is too large` }
  return { ok: true, ms }
}

/**
 * Converts a duration to milliseconds. Throws a {@link PulseValidationError} for anything it
 * cannot read exactly, because a guessed duration is worse than a failed build.
 *
 * @example
 * ```ts
 * parseDuration('1h30m') // 5_400_000
 * parseDuration(250)     // 250
 * parseDuration('5 min') // throws PulseValidationError
 * ```
 */
export function parseDuration(input: DurationInput): number {
  const reading = readDuration(input)
  if (!reading.ok) throw new PulseValidationError('duration', [{ path: [], message: reading.message }])
  return reading.ms
}

/**
 * Writes milliseconds in the shortest {@link DurationString}; the DSL uses it to name delay
 * steps given as numbers (`300_000` becomes `wait_5m`).
 *
 * @example
 * ```ts
 * formatDuration(5_400_000) // '1h30m'
 * formatDuration(1_500)     // '1s500ms'
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0ms'
  let rest = ms
  let text = ''
  for (const unit of UNITS_LARGEST_FIRST) {
    const amount = Math.floor(rest / UNIT_MS[unit])
    if (amount > 0) {
      text += `${amount}${unit}`
      rest -= amount * UNIT_MS[unit]
    }
  }
  return text
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}
