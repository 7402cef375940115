import type { DashboardRunQueries, DashboardSignalQueries, DashboardWorkflowQueries } from '../store/index.js'
import type { DashboardEngine } from './options.js'
import type { Viewer } from './viewer.js'

/** What every page and action of one request works with. */
export interface PageContext {
  /** The mount path, without a trailing slash ('' at the root). */
  base: string
  viewer: Viewer
  engine: DashboardEngine
  runs: DashboardRunQueries
  signals: DashboardSignalQueries
  workflows: DashboardWorkflowQueries
}

/** Fixed notices a redirect after an action may ask a page to show (never text from the request). */
export const NOTICES: Record<string, string> = {
  retried: 'The run was retried.',
  canceled: 'The run was canceled.',
  replayed: 'The signal was replayed; the runs it started are listed below.',
  'dry-run': 'The signal was replayed as a dry run; the runs it started are listed below.',
  'bulk-retried': 'Every failed run matching the filter was retried.',
  'bulk-canceled': 'Every active run matching the filter was canceled.',
}

/** The notice a page shows for `?notice=...&n=...`, or undefined. */
export function noticeFor(key: string | undefined, count: string | undefined): string | undefined {
  const text = key ? NOTICES[key] : undefined
  if (!text) return undefined
  const n = count !== undefined && /^\d{1,9}$/.test(count) ? Number(count) : undefined
  return n === undefined ? text : `${text} (${n} run${n === 1 ? '' : 's'})`
}
