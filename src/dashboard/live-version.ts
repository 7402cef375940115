import { createHash } from 'node:crypto'
import type { DashboardRunRow } from '../store/index.js'

/**
 * A short version of what a live page showed. The page puts it in its live URL, so the stream
 * compares the database with what the page rendered, not with what it finds when it connects:
 * a change in between (a retried run completing before the browser opened the stream) still
 * reaches the page.
 */
export function versionOf(fingerprint: string | null): string {
  return createHash('sha1').update(fingerprint ?? '').digest('hex').slice(0, 16)
}

/** What a runs list shows that can change: which runs, in which status, last updated when. */
export function runsFingerprint(runs: readonly DashboardRunRow[]): string {
  return runs.map((r) => `${r.id}:${r.status}:${r.updatedAt.getTime()}`).join(',')
}
