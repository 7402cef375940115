/** Formats a duration for people: `850ms`, `1.2s`, `3m 20s`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) {
    const seconds = ms / 1000
    return `${Number.isInteger(seconds) || seconds >= 10 ? Math.round(seconds) : seconds.toFixed(1)}s`
  }
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ]
  const parts: string[] = []
  let rest = ms
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size)
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`)
    rest -= n * size
    if (parts.length === 2) break
  }
  return parts.filter((p) => !p.startsWith('0')).join(' ') || '0s'
}

/** The time between two dates, or '-' when either is missing. */
export function between(start: Date | undefined, end: Date | undefined): string {
  if (!start || !end) return '-'
  return formatDuration(new Date(end).getTime() - new Date(start).getTime())
}

/** A timestamp in UTC, to the second: `2025-01-31 14:05:09`. */
export function formatTime(date: Date | undefined): string {
  if (!date) return '-'
  return new Date(date).toISOString().replace('T', ' ').slice(0, 19)
}
