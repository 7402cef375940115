import { trigger, workflow } from '../src/index.js'
import { benchEngine } from './support.js'
const tick = trigger('bench.tick', { source: 'bench' })
let chain = workflow('chain').on(tick).do('s0', () => undefined)
for (let i = 1; i < 5; i++) chain = chain.do(`s${i}`, () => undefined)
let completed = 0
let resolveDone!: () => void
const done = new Promise<void>((r) => (resolveDone = r))
const runs = 2000
const b = await benchEngine('redis', { concurrency: 50, onRunComplete: () => { if (++completed === runs) resolveDone() } })
b.engine.register(chain)
await b.engine.sync({ tenantId: 'bench', workflows: [chain] })
await b.engine.start()
const t0 = performance.now()
await Promise.all(Array.from({ length: runs }, () => b.engine.emit(tick, { tenantId: 'bench', payload: {} })))
const t1 = performance.now()
await done
const t2 = performance.now()
console.log({ emitMs: Math.round(t1 - t0), totalMs: Math.round(t2 - t0), stepsPerSec: Math.round((runs * 5) / ((t2 - t0) / 1000)) })
await b.close()
process.exit(0)
