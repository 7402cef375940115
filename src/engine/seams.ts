import type { EmbeddedDatabase } from '../embedded/embedded-database.js'
import type { CronQueue, StepQueue } from '../queue/index.js'
import type { Registry } from '../runtime/registry.js'
import type { Store } from '../store/index.js'

/**
 * Where an engine may be given other parts than its own, for `pulse-engine/testing` only (not
 * public): the test kit runs the real engine on a copy of a migrated database, on a virtual clock.
 * Left out, every seam costs nothing: the engine builds what it always builds.
 */
export interface EngineSeams {
  /** Milliseconds since the epoch as handlers (ctx.now()) and cron misfire checks see them. */
  clock?: () => number
  /** Embedded mode: the database, instead of opening `dataDir`. */
  openDatabase?: () => Promise<EmbeddedDatabase>
  /** Embedded mode: how often queue workers poll for jobs (default 50 ms). */
  pollMs?: number
  /** The cron queue: the kit fires ticks itself as its clock reaches them. */
  cron?: CronQueue
  /** Wraps the step queue: the kit holds delayed jobs until its clock reaches them. */
  stepQueue?: (queue: StepQueue) => StepQueue
}

/** The parts of an engine the testing kit reads or drives. */
export interface EngineInternals {
  store: Store
  queue: StepQueue
  registry: Registry
}
