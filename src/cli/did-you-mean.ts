/** Edit distance (insertions, deletions, substitutions and swaps of neighbours) between two words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The candidate a mistyped word most likely meant, or undefined when none is close: at most a
 * third of the longer word's length away (at least 1 edit), or the only candidate the word begins
 * (`--ten` for `--tenant`). A suggestion far from what was typed would mislead more than help.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase()
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase())
    if (!best || distance < best.distance) best = { candidate, distance }
  }
  if (!best) return undefined
  const limit = Math.max(1, Math.ceil(Math.max(word.length, best.candidate.length) / 3))
  if (best.distance <= limit) return best.candidate
  const prefixed = candidates.filter((c) => lower.length >= 3 && c.toLowerCase().startsWith(lower))
  return prefixed.length === 1 ? prefixed[0] : undefined
}

/** `; did you mean "x"?` for a message, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: readonly string[], quote = (s: string) => `"${s}"`): string {
  const match = closest(word, candidates)
  return match === undefined ? '' : `; did you mean ${quote(match)}?`
}
