/** How heavily a tenant counts in fair shares: a number, or a function of the tenant id. */
export type TenantWeights = Readonly<Record<string, number>> | ((tenantId: string) => number)

/**
 * The order in which tenants' new runs leave the queue: start-time fair queuing over the queue's
 * priorities. Each tenant has a tag that moves forward by 1/weight per run it starts; a new run's
 * first step is queued at its tenant's tag (or at the queue's front, whichever is later), so the
 * queue serves the tenants with waiting runs in turn, each in proportion to its weight, and a
 * tenant with nothing waiting is served after at most one run of each other tenant.
 */
export interface FairShares {
  /**
   * Whether a run of this tenant may start in the emitting process, outside the queue: only while
   * the tenant is within `burst` runs of the queue's front, so a tenant with a backlog cannot take
   * the slots other tenants' runs would start in.
   */
  mayStartHere(tenantId: string): boolean
  /** Counts runs of a tenant that started in the emitting process. */
  startedHere(tenantId: string, count: number): void
  /** Queue priorities for `count` first steps of one tenant, in order (BullMQ: lower goes first). */
  priorities(tenantId: string, count: number): number[]
}

/** One run of a tenant of weight 1 moves its tag this far; weights up to this much still tell apart. */
const UNITS_PER_RUN = 16
/** BullMQ's largest priority. Past it, tags share the last value and go first-in, first-out. */
export const MAX_PRIORITY = 2_097_152
/** How often the front of the queue is looked up again while runs are being queued. */
const FRONT_REFRESH_MS = 100

export interface FairSharesDeps {
  weights?: TenantWeights
  /** Runs a tenant may be ahead of the queue's front and still start in the emitting process. */
  burst: number
  /** The lowest priority waiting in the queue, or undefined when no prioritized job waits. */
  front: () => Promise<number | undefined>
  onError: (err: unknown) => void
}

export function createFairShares(deps: FairSharesDeps): FairShares {
  const tags = new Map<string, number>()
  // The tag the queue is serving now, in units: the priority at its front.
  let front = 0
  let lookedAt = 0
  let looking = false

  const weightOf = (tenantId: string): number => {
    const w = typeof deps.weights === 'function' ? deps.weights(tenantId) : deps.weights?.[tenantId]
    return typeof w === 'number' && Number.isFinite(w) && w > 0 ? w : 1
  }

  const refreshFront = () => {
    const now = Date.now()
    if (looking || now - lookedAt < FRONT_REFRESH_MS) return
    looking = true
    lookedAt = now
    deps
      .front()
      .then((lowest) => {
        if (lowest === undefined) {
          // Nothing prioritized waits: every tenant has been served up to its tag, and tags start
          // over from zero (which also keeps them far from the largest priority).
          tags.clear()
          front = 0
        } else {
          front = Math.max(front, lowest)
        }
      }, deps.onError)
      .finally(() => {
        looking = false
      })
  }

  const advance = (tenantId: string, runs: number): number => {
    const start = Math.max(front, tags.get(tenantId) ?? 0)
    tags.set(tenantId, start + (runs * UNITS_PER_RUN) / weightOf(tenantId))
    return start
  }

  return {
    mayStartHere(tenantId) {
      refreshFront()
      const lead = (tags.get(tenantId) ?? 0) - front
      return lead <= (deps.burst * UNITS_PER_RUN) / weightOf(tenantId)
    },
    startedHere(tenantId, count) {
      if (count > 0) advance(tenantId, count)
    },
    priorities(tenantId, count) {
      refreshFront()
      const step = UNITS_PER_RUN / weightOf(tenantId)
      const start = advance(tenantId, count)
      // Priority 0 means "none" to BullMQ (ahead of every prioritized job), so ours start at 1.
      return Array.from({ length: count }, (_, i) => Math.min(MAX_PRIORITY, 1 + Math.ceil(start + i * step)))
    },
  }
}

/** Checks `tenantWeights` from the engine's options; returns what is wrong, or undefined. */
export function tenantWeightsProblem(weights: unknown): string | undefined {
  if (weights === undefined || typeof weights === 'function') return undefined
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) return 'tenantWeights must be an object of tenant id -> weight, or a function (tenantId) => weight'
  for (const [tenant, w] of Object.entries(weights)) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0 || w > 1000) return `tenantWeights["${tenant}"] must be a number greater than 0 and at most 1000, got ${String(w)}`
  }
  return undefined
}
