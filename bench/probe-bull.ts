import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
const connection = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null })
const prefix = 'probe' + Date.now()
const q = new Queue('p', { connection, prefix })
let resolve!: (n: number) => void
const w = new Worker('p', async () => { resolve(performance.now()) }, { connection: connection.duplicate({ maxRetriesPerRequest: null }), prefix, concurrency: 10 })
await w.waitUntilReady()
await new Promise((r) => setTimeout(r, 300))
const lat: number[] = []
for (let i = 0; i < 30; i++) {
  const p = new Promise<number>((r) => (resolve = r))
  const a = performance.now()
  await q.add('x', {})
  lat.push((await p) - a)
  await new Promise((r) => setTimeout(r, 20))
}
lat.sort((a, b) => a - b); console.log('add->process p50', lat[15].toFixed(2), 'max', lat[29].toFixed(2))
await w.close(); await q.obliterate({ force: true }); await q.close(); connection.disconnect()
