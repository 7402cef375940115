export { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.js'
export { lazyPool, type LazyPool } from './lazy-pool.js'
