import { inTransaction, type PoolLike, type Queryable } from './db.js'
import { DefinitionStore } from './definitions.js'
import { FlowStore } from './flow.js'
import { LogStore } from './logs.js'
import { migrate, schemaVersion } from './migrate.js'
import type { StatusMoves } from './plan.js'
import { RunStore } from './runs.js'
import { SignalStore, type KeyedSignalRequest, type NewSignal, type SignalRequest } from './signals.js'
import { createBatcher } from './group-commit.js'
import { StepStore } from './steps.js'
import { tablesFor, type Tables } from './tables.js'
import { WaitStore } from './waits.js'
import { WorkerStore } from './workers.js'

/** The stores, bound to one connection: the pool, or a client inside a transaction. */
export interface StoreSession {
  signals: SignalStore
  definitions: DefinitionStore
  runs: RunStore
  steps: StepStore
  logs: LogStore
  workers: WorkerStore
  waits: WaitStore
  flow: FlowStore
}

/** All persistence of one engine: Postgres tables under one prefix. */
export interface Store extends StoreSession {
  readonly tables: Tables
  readonly pool: PoolLike
  /** Options for the group-commit batchers built on this store (see StoreOptions.serialDatabase). */
  readonly groupCommit: { inFlight?: number; gather?: boolean }
  migrate(): Promise<{ applied: number[] }>
  schemaVersion(): Promise<number | null>
  /** Runs `fn` in one transaction; everything it does through `tx` commits or rolls back together. */
  transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T>
}

export interface StoreOptions {
  /**
   * The status changes the store makes outside a plan (claims, cancel, retry, hand-back,
   * takeover). They are decided in src/runtime/run-state.ts (STATUS_MOVES) and handed in, so
   * the store never decides a status and never imports the runtime above it.
   */
  statusMoves: StatusMoves
  preparedStatements?: boolean
  /**
   * The database runs one statement at a time (PGlite: one session behind every connection).
   * Group commit then keeps one statement of each kind in flight: more would only queue behind
   * each other, while the requests arriving meanwhile could have joined a larger batch.
   */
  serialDatabase?: boolean
  /** Every delay step's due time is this fraction of its duration away (EngineConfig.delayScale). Default 1. */
  delayScale?: number
  /**
   * The id under which this engine's step claims are recorded (its liveness row, see
   * WorkerStore). Left out by code that never claims steps, such as the CLI.
   */
  workerId?: string
}

export function createStore(pool: PoolLike, tablePrefix: string, schema: string, options: StoreOptions): Store {
  const tables = tablesFor(tablePrefix, schema, options.preparedStatements ?? false)
  const delayScale = options.delayScale ?? 1
  const workerId = options.workerId ?? null
  const session = (q: Queryable): StoreSession => ({
    signals: new SignalStore(q, tables, delayScale, workerId),
    definitions: new DefinitionStore(q, tables),
    runs: new RunStore(q, tables),
    steps: new StepStore(q, tables, delayScale, workerId, options.statusMoves),
    logs: new LogStore(q, tables),
    workers: new WorkerStore(q, tables, options.statusMoves),
    waits: new WaitStore(q, tables, delayScale),
    flow: new FlowStore(q, tables, options.statusMoves.flow.slotHolders, delayScale),
  })
  const pooled = session(pool)
  const groupCommit = options.serialDatabase ? { inFlight: 1, gather: true } : {}
  // Concurrent emits share one statement (and one commit); see group-commit.ts.
  // Tenants take turns in them, so one tenant's burst of emits does not hold another's back.
  const signalBatches = createBatcher((requests: SignalRequest[]) => pooled.signals.persistAndMatchMany(requests), { ...groupCommit, owner: (r) => r.signal.tenantId })
  // Emits with idempotency keys share statements too, except two of one key: the key's row can be
  // written once per statement.
  const keyedBatches = createBatcher((requests: KeyedSignalRequest[]) => pooled.signals.persistKeyedMany(requests), {
    ...groupCommit,
    key: (r) => JSON.stringify([r.signal.tenantId, r.idempotency.key]),
    owner: (r) => r.signal.tenantId,
  })
  const signals = Object.assign(Object.create(pooled.signals) as SignalStore, {
    persistAndMatch: async (signal: NewSignal, options: Omit<SignalRequest, 'signal'>) => signalBatches.submit({ signal, ...options }),
    persistKeyedMany: async (requests: KeyedSignalRequest[]) => Promise.all(requests.map((r) => keyedBatches.submit(r))),
  })
  return {
    ...pooled,
    signals,
    tables,
    pool,
    groupCommit,
    migrate: () => migrate(pool, tables),
    schemaVersion: () => schemaVersion(pool, tables),
    transaction: (fn) => inTransaction(pool, (client) => fn(session(client))),
  }
}
