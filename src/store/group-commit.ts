/**
 * Group commit. Callers that need the same kind of statement at about the same time share one
 * statement, and so one commit. A request that finds nothing in flight goes at once, so a lone
 * caller waits for no one. While a statement is in flight the next batch fills up; it leaves when
 * that statement returns, or earlier once it is big enough to be worth a statement of its own, or
 * once the statement in flight has taken long enough to look stuck (waiting on a row lock, say),
 * so one slow statement does not hold everyone else's back. Fewer, larger statements matter more
 * than parallel ones: concurrent transactions on the same hot pages spend their CPU waiting on
 * each other's locks.
 */
export interface Batcher<Req, Res> {
  submit(request: Req): Promise<Res>
}

export interface BatcherOptions<Req> {
  /** Largest batch one statement takes. */
  maxBatch?: number
  /** Most statements in flight at once. */
  inFlight?: number
  /** While a statement is in flight, another leaves once this many requests wait... */
  busyMin?: number
  /** ...or once the latest statement has been in flight this long (ms). */
  stallMs?: number
  /** Requests with the same key never share a batch (for example two steps of one run). */
  key?: (request: Req) => string
  /**
   * Whose request it is (a tenant). Batches take waiting requests in turn, one of each owner at a
   * time, and a request whose owner has nothing in flight may start one statement beyond
   * `inFlight`, so one owner's burst fills statements without making another owner's lone
   * request wait behind all of it.
   */
  owner?: (request: Req) => string
  /**
   * A batch leaves one event-loop turn after the request that could start it, so the requests
   * that the same wave of results sets off join it. For a database that runs one statement at a
   * time, where the statement would only have waited its turn anyway.
   */
  gather?: boolean
}

type Item<Req, Res> = { request: Req; resolve: (r: Res) => void; reject: (e: unknown) => void }

export function createBatcher<Req, Res>(run: (requests: Req[]) => Promise<Res[]>, options: BatcherOptions<Req> = {}): Batcher<Req, Res> {
  const maxBatch = options.maxBatch ?? 200
  const maxInFlight = options.inFlight ?? 4
  const busyMin = options.busyMin ?? 16
  const stallMs = options.stallMs ?? 10
  const key = options.key
  const owner = options.owner
  // Owners with requests in statements now, and in how many statements.
  const ownersInFlight = new Map<string, number>()
  let queue: Item<Req, Res>[] = []
  let inFlight = 0
  let lastStart = 0
  let wake: ReturnType<typeof setTimeout> | undefined
  let gathering = false

  const take = (onlyIdleOwners = false): Item<Req, Res>[] => {
    if (owner) queue = inTurns(queue, (item) => owner(item.request))
    if (onlyIdleOwners) {
      const batch: Item<Req, Res>[] = []
      queue = queue.filter((item) => {
        if (batch.length >= maxBatch || ownersInFlight.has(owner!(item.request))) return true
        batch.push(item)
        return false
      })
      return batch
    }
    if (!key) return queue.splice(0, maxBatch)
    const batch: Item<Req, Res>[] = []
    const rest: Item<Req, Res>[] = []
    const keys = new Set<string>()
    for (const item of queue) {
      const k = key(item.request)
      if (batch.length < maxBatch && !keys.has(k)) {
        keys.add(k)
        batch.push(item)
      } else {
        rest.push(item)
      }
    }
    queue = rest
    return batch
  }

  const settle = (batch: Item<Req, Res>[], results: Res[]) => {
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!)
  }

  const mayStart = (now: number) => inFlight === 0 || queue.length >= busyMin || now - lastStart >= stallMs

  const start = (batch: Item<Req, Res>[], now: number) => {
    const owners = owner ? [...new Set(batch.map((b) => owner(b.request)))] : []
    for (const o of owners) ownersInFlight.set(o, (ownersInFlight.get(o) ?? 0) + 1)
    inFlight++
    lastStart = now
    run(batch.map((b) => b.request))
      .then(
        (results) => settle(batch, results),
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => {
        inFlight--
        for (const o of owners) {
          const n = ownersInFlight.get(o)! - 1
          if (n === 0) ownersInFlight.delete(o)
          else ownersInFlight.set(o, n)
        }
        kick()
      })
  }

  const pump = () => {
    const now = Date.now()
    while (queue.length > 0 && inFlight < maxInFlight && mayStart(now)) start(take(), now)
    // The extra statement for owners with nothing in flight (see `owner`).
    if (owner && queue.length > 0 && inFlight === maxInFlight && queue.some((item) => !ownersInFlight.has(owner(item.request)))) {
      const batch = take(true)
      if (batch.length > 0) start(batch, now)
    }
    // Requests are waiting behind a statement in flight: look again once it counts as stuck.
    if (queue.length > 0 && inFlight < maxInFlight && !wake) {
      wake = setTimeout(
        () => {
          wake = undefined
          pump()
        },
        Math.max(1, stallMs - (now - lastStart)),
      )
    }
  }

  const kick = () => {
    if (!options.gather) return pump()
    if (gathering) return
    gathering = true
    setImmediate(() => {
      gathering = false
      pump()
    })
  }

  return {
    submit(request) {
      return new Promise<Res>((resolve, reject) => {
        queue.push({ request, resolve, reject })
        kick()
      })
    },
  }
}

/** The items of each owner in their order, the owners taking turns in the order they first appear. */
function inTurns<T>(items: T[], ownerOf: (item: T) => string): T[] {
  const byOwner = new Map<string, T[]>()
  for (const item of items) {
    const o = ownerOf(item)
    const list = byOwner.get(o)
    if (list) list.push(item)
    else byOwner.set(o, [item])
  }
  if (byOwner.size <= 1) return items
  const lists = [...byOwner.values()]
  const out: T[] = []
  for (let i = 0; out.length < items.length; i++) for (const list of lists) if (i < list.length) out.push(list[i]!)
  return out
}
