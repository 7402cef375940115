import type { DashboardRunFilter, RunCursor } from '../store/index.js'
import type { WorkflowStatus } from '../types.js'
import type { PageContext } from './context.js'

const BATCH = 100
const PARALLEL = 8

/** Operations a run may have become unable to take since it was listed: ended, retried or canceled by someone else. */
const SKIPPED_CODES = new Set(['INVALID_STATE', 'NOT_FOUND'])

/**
 * Retries every failed run, or cancels every active run, that the filter matches: not only the
 * page on screen. Walks the matches from newest to oldest by cursor, so each run is visited once
 * even when it changes status under the walk; runs that ended meanwhile are skipped.
 */
export async function bulkOperate(ctx: PageContext, filter: DashboardRunFilter, action: 'retry' | 'cancel'): Promise<number> {
  const statuses: WorkflowStatus[] = action === 'retry' ? ['failed'] : ['pending', 'running', 'waiting']
  let done = 0
  for (const status of statuses) {
    if (filter.status !== undefined && filter.status !== status) continue
    let cursor: RunCursor | undefined
    for (;;) {
      const batch = await ctx.runs.batch({ ...filter, status }, cursor, BATCH)
      if (batch.length === 0) break
      for (let i = 0; i < batch.length; i += PARALLEL) {
        const results = await Promise.all(
          batch.slice(i, i + PARALLEL).map(async (run) => {
            const scoped = ctx.engine.forTenant(run.tenantId)
            try {
              await (action === 'retry' ? scoped.retryRun(run.id) : scoped.cancelRun(run.id, 'canceled from the dashboard'))
              return 1
            } catch (err) {
              if (SKIPPED_CODES.has((err as { code?: string }).code ?? '')) return 0
              throw err
            }
          }),
        )
        done += results.reduce<number>((a, b) => a + b, 0)
      }
      const last = batch[batch.length - 1]!
      cursor = { createdAt: last.createdAt, id: last.id }
    }
  }
  return done
}
