/**
 * A consumer project for measuring how the DSL's types scale: N workflow modules, each with its
 * own trigger (an 8-field nested payload) and 8 steps mixing do / when / delay / parallel that
 * read earlier outputs, plus an entry module that registers, syncs, emits and configures them all
 * the way an application does. It imports `pulse-engine` as a consumer would: through a
 * node_modules link to this repository, so what is measured is the built `dist/index.d.ts`.
 */
import { execFile } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')

/** The compiler options a fresh strict consumer project uses. */
export const consumerCompilerOptions = {
  strict: true,
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  target: 'ES2022',
  lib: ['ES2023'],
  noEmit: true,
  skipLibCheck: true,
  types: [],
}

/** The source of workflow module `i`. */
export function workflowModule(i: number): string {
  return `import { z } from 'zod'
import { trigger, workflow } from 'pulse-engine'

export const orderPlaced${i} = trigger('order${i}.placed', {
  source: 'shop${i}',
  resourceType: 'order',
  payload: z.object({
    orderId: z.string(),
    ref${i}: z.string(),
    amount: z.number().nonnegative(),
    currency: z.enum(['EUR', 'USD', 'GBP']),
    express: z.boolean().default(false),
    customer: z.object({ id: z.string(), email: z.string().email(), tier: z.enum(['free', 'pro']) }),
    items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })),
    note: z.string().optional(),
  }),
})

const charge${i} = orderPlaced${i}.action('charge_${i}', async (ctx) => {
  const { orderId, amount } = ctx.trigger.payload
  return { success: true, data: { chargeId: \`ch_\${orderId}\`, amount } }
}, { replaySafe: false })

const isBig${i} = orderPlaced${i}.condition('is_big_${i}', (ctx) => ctx.trigger.payload.amount > 100)

export const fulfilOrder${i} = workflow('fulfil-order-${i}')
  .config({ threshold: ${i}, channel: 'ops-${i}' })
  .on(orderPlaced${i}, { environment: 'production' })
  .do(charge${i}, { retry: { maxAttempts: 3, backoff: '5s' } })
  .delay('5m')
  .when('is_pro', (ctx) => ctx.trigger.payload.customer.tier === 'pro', { onFalse: 'skip' })
  .do('reserve', (ctx) => ({
    success: true,
    data: { reservationId: \`res_\${ctx.steps.charge_${i}.chargeId}\`, lines: ctx.trigger.payload.items.length },
  }))
  .parallel(
    'notify',
    (b) => b.do('email', (ctx) => ({ success: true, data: { messageId: ctx.trigger.payload.customer.email } })),
    (b) => b.when(isBig${i}).do('slack', (ctx) => ({ success: true, data: { ts: \`\${ctx.config.channel}:\${ctx.steps.charge_${i}.amount}\` } })),
  )
  .do('summarise', (ctx) => {
    ctx.log('order fulfilled', {
      reservation: ctx.steps.reserve?.reservationId ?? null,
      email: ctx.steps.email.messageId,
      slack: ctx.steps.slack?.ts ?? null,
    })
  })
  .delay('1h', { name: 'cooldown' })
  .do('close', (ctx) => ({ success: true, data: { closed: ctx.trigger.payload.express || ctx.config.threshold > 0 } }))
`
}

/** The entry module: registers, syncs and emits every workflow, and lists them in a config. */
export function entryModule(count: number): string {
  const ids = Array.from({ length: count }, (_, i) => i)
  const workflows = ids.map((i) => `fulfilOrder${i}`).join(', ')
  return `import { createEngine, defineConfig } from 'pulse-engine'
${ids.map((i) => `import { fulfilOrder${i}, orderPlaced${i} } from './workflows/order-${i}.js'`).join('\n')}

const engine = createEngine({ dataDir: false })
engine.register(${workflows})
export const plan = engine.sync({ tenantId: 'workspace_1', workflows: [${workflows}] })
export const emitted = [
${ids
  .map(
    (i) =>
      `  engine.emit(orderPlaced${i}, { tenantId: 'workspace_1', payload: { orderId: 'o${i}', ref${i}: 'r', amount: ${i}, currency: 'EUR', express: false, customer: { id: 'c', email: 'a@b.c', tier: 'pro' }, items: [] } }),`,
  )
  .join('\n')}
]
export default defineConfig({ workflows: [${workflows}], tenants: ['workspace_1'] })
`
}

/** A stand-in for pulse-engine's types with no checks at all: the floor of any typed builder (see its header). */
export const FLOOR_LIBRARY = join(root, 'bench/types/floor')

/**
 * Writes a project of `count` workflows into `dir` (which must exist and be empty) and links
 * `pulse-engine` (this repository, or `library` in its place) and `zod` into its node_modules.
 */
export async function writeConsumerProject(dir: string, count: number, library = root): Promise<void> {
  await mkdir(join(dir, 'workflows'), { recursive: true })
  await mkdir(join(dir, 'node_modules'), { recursive: true })
  await symlink(library, join(dir, 'node_modules/pulse-engine'), 'dir')
  await symlink(join(root, 'node_modules/zod'), join(dir, 'node_modules/zod'), 'dir')
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'type-perf-consumer', private: true, type: 'module' }))
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: consumerCompilerOptions, include: ['*.ts', 'workflows/*.ts'] }, null, 2))
  await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(dir, `workflows/order-${i}.ts`), workflowModule(i))))
  await writeFile(join(dir, 'index.ts'), entryModule(count))
}

/** What `tsc --extendedDiagnostics` reports for a project. */
export interface CheckFigures {
  instantiations: number
  types: number
  checkSeconds: number
  totalSeconds: number
  memoryMB: number
  /**
   * Entries of the compiler's strict-subtype cache: it grows with the square of the workflows
   * when the checker compares every pair of them (an array literal of workflow builders).
   */
  strictSubtypeCache: number
  /** Compiler errors, empty when the project type-checks. */
  errors: string
}

/** Type-checks the project in `dir` with the repository's TypeScript and reads its diagnostics. */
export async function checkProject(dir: string): Promise<CheckFigures> {
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  const { stdout } = await exec(process.execPath, [tsc, '-p', dir, '--extendedDiagnostics'], { maxBuffer: 64 * 2 ** 20 }).catch(
    (err: { stdout: string }) => ({ stdout: err.stdout }),
  )
  const figure = (label: string): number => {
    const match = new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(stdout)
    if (!match) throw new Error(`tsc --extendedDiagnostics printed no "${label}" line:\n${stdout.slice(0, 2000)}`)
    return Number(match[1])
  }
  const diagnosticsStart = stdout.search(/^Files:/m)
  return {
    instantiations: figure('Instantiations'),
    types: figure('Types'),
    checkSeconds: figure('Check time'),
    totalSeconds: figure('Total time'),
    memoryMB: Math.round(figure('Memory used') / 1024),
    strictSubtypeCache: figure('Strict subtype cache size'),
    errors: (diagnosticsStart >= 0 ? stdout.slice(0, diagnosticsStart) : stdout).trim(),
  }
}
