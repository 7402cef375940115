/**
 * Group commit. Callers that need the same kind of statement at about the same time share one
 * statement, and so one commit: while a batch is in flight the next one fills up, and it leaves
 * as soon as a slot frees. At light load a request finds a free slot and goes at once, so
 * batching adds no latency; under load it turns N commits into one.
 */
export interface Batcher<Req, Res> {
  submit(request: Req): Promise<Res>
}

export interface BatcherOptions<Req> {
  /** Largest batch one statement takes. */
  maxBatch?: number
  /** Statements in flight at once. */
  inFlight?: number
  /** Requests with the same key never share a batch (for example two steps of one run). */
  key?: (request: Req) => string
}

export function createBatcher<Req, Res>(run: (requests: Req[]) => Promise<Res[]>, options: BatcherOptions<Req> = {}): Batcher<Req, Res> {
  const maxBatch = options.maxBatch ?? 200
  const maxInFlight = options.inFlight ?? 4
  type Item = { request: Req; resolve: (r: Res) => void; reject: (e: unknown) => void }
  let queue: Item[] = []
  let inFlight = 0

  const take = (): Item[] => {
    if (!options.key) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      return batch
    }
    const batch: Item[] = []
    const rest: Item[] = []
    const keys = new Set<string>()
    for (const item of queue) {
      const key = options.key(item.request)
      if (batch.length < maxBatch && !keys.has(key)) {
        keys.add(key)
        batch.push(item)
      } else {
        rest.push(item)
      }
    }
    queue = rest
    return batch
  }

  const pump = () => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = take()
      inFlight++
      run(batch.map((b) => b.request))
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          inFlight--
          pump()
        })
    }
  }

  return {
    submit(request) {
      return new Promise<Res>((resolve, reject) => {
        queue.push({ request, resolve, reject })
        pump()
      })
    },
  }
}
