/** A timestamp as the pages show it: UTC, to the millisecond, without the `T`. */
export function formatTime(date: Date | null | undefined): string {
  if (!date) return '—'
  return date.toISOString().replace('T', ' ').replace('Z', ' UTC')
}

/** A duration in the largest unit that keeps it readable: `850 ms`, `12.4 s`, `3 min 5 s`, `2 d 4 h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  const abs = Math.abs(ms)
  if (abs < 1000) return `${Math.round(ms)} ms`
  if (abs < 60_000) return `${(ms / 1000).toFixed(1)} s`
  if (abs < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
  if (abs < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`
  return `${Math.floor(ms / 86_400_000)} d ${Math.round((ms % 86_400_000) / 3_600_000)} h`
}

/** Any JSON value, indented, for a `<pre>` (escaped by the template that shows it). */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null'
}
