/** Small arithmetic shared by the scenarios and the report; no engine module, so any process may load it. */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]!
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The middle of a set of samples and its ends. */
export interface Spread {
  median: number
  min: number
  max: number
}

/**
 * Median (the mean of the two middle values for an even count), min and max, rounded to `digits`.
 *
 * @example
 * spreadOf([3100, 2900, 3400]) // { median: 3100, min: 2900, max: 3400 }
 */
export function spreadOf(values: readonly number[], digits = 0): Spread {
  if (values.length === 0) throw new Error('spreadOf needs at least one sample')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median: round(median, digits), min: round(sorted[0]!, digits), max: round(sorted.at(-1)!, digits) }
}
