import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PulseError} from '../../src/index.js';
import { action, checkJsonValue, PulseValidationError, trigger, validateDefinition, workflow } from '../../src/index.js'
import { sized } from '../support/ports.js'
import { startTestEngine, waitForRun, type TestEngine } from '../support/engine.js'
import { servicesMissing } from '../support/services.js'

const LIMITS = { maxBytes: 1024 * 1024, maxDepth: 64 }

function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  let at = root
  for (let i = 1; i < depth; i++) {
    const next: Record<string, unknown> = {}
    at.x = next
    at = next
  }
  return root
}

/** Payloads the engine must refuse, with a word the error message must contain. */
const REFUSED: [string, unknown, RegExp][] = [
  ['a function', { f: () => 1 }, /function/],
  ['a BigInt', { n: 10n }, /BigInt/],
  ['a symbol', { s: Symbol('x') }, /symbol/],
  ['undefined in an array', { list: [1, undefined] }, /undefined/],
  ['NaN', { n: Number.NaN }, /NaN/],
  ['Infinity', { n: Number.POSITIVE_INFINITY }, /Infinity/],
  ['a Map', { m: new Map([['a', 1]]) }, /Map/],
  ['a cycle', (() => { const o: Record<string, unknown> = {}; o.self = o; return o })(), /circular/],
  ['a __proto__ key', JSON.parse('{"__proto__": {"polluted": true}}'), /__proto__/],
  ['a constructor key', { constructor: { prototype: { polluted: true } } }, /constructor/],
  ['a NUL character', { s: 'a\u0000b' }, /U\+0000/],
  ['a NUL character in a key', { ['a\u0000']: 1 }, /U\+0000/],
  ['a lone high surrogate', { s: 'x\ud800y' }, /surrogate/],
  ['a lone low surrogate', { s: '\udc00' }, /surrogate/],
  ['a lone surrogate in a key', { ['\ud83d']: 1 }, /surrogate/],
  ['nesting deeper than 64', nested(65), /deeper than 64/],
  ['more than maxPayloadBytes', { big: 'x'.repeat(300 * 1024) }, /larger than the limit of 262144 bytes/],
]

describe.skipIf(servicesMissing())('bad input is refused with a typed error, and nothing is written', () => {
  let t: TestEngine
  const count = async () => {
    const { rows } = await t.pool.query(
      `SELECT (SELECT count(*) FROM "${t.tablePrefix}triggers")::int AS triggers, (SELECT count(*) FROM "${t.tablePrefix}workflow_runs")::int AS runs,
              (SELECT count(*) FROM "${t.tablePrefix}workflow_definitions")::int AS definitions`,
    )
    return rows[0] as { triggers: number; runs: number; definitions: number }
  }

  beforeAll(async () => {
    t = await startTestEngine({})
    t.engine.registerTrigger('x.happened', { source: 'app' })
    t.engine.registerAction('echo', (ctx) => ({ success: true, data: { got: ctx.trigger.payload } }))
    await t.engine.createWorkflow({ tenantId: 'w', name: 'echo', triggerType: 'x.happened', steps: [{ type: 'action', name: 'echo' }], config: {}, isEnabled: true })
  })
  afterAll(async () => {
    await t?.close()
  })

  for (const [what, payload, message] of REFUSED) {
    it(`emit refuses a payload with ${what}`, async () => {
      const before = await count()
      const err = await t.engine.emit({ tenantId: 'w', type: 'x.happened', payload: payload as never }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PulseValidationError)
      expect((err as Error).message).toMatch(message)
      expect(await count()).toEqual(before)
    })
  }

  it('accepts exactly 64 levels, and payloads up to maxPayloadBytes', async () => {
    await t.engine.emit({ tenantId: 'w', type: 'x.happened', payload: nested(64) as never })
    await t.engine.emit({ tenantId: 'w', type: 'x.happened', payload: { big: 'x'.repeat(200 * 1024) } })
  })

  it('honours a configured maxPayloadBytes', async () => {
    const small = t.sibling({ maxPayloadBytes: 100 })
    small.registerTrigger('x.happened', { source: 'app' })
    await small.emit({ tenantId: 'w', type: 'x.happened', payload: { s: 'x'.repeat(50) } })
    const err = await small.emit({ tenantId: 'w', type: 'x.happened', payload: { s: 'x'.repeat(100) } }).catch((e: unknown) => e)
    expect((err as PulseError).code).toBe('VALIDATION_FAILED')
    expect((err as Error).message).toMatch(/larger than the limit of 100 bytes/)
  })

  it('stores a Date as its ISO string and drops undefined properties, as JSON does', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z')
    const trg = await t.engine.emit({ tenantId: 'w', type: 'x.happened', payload: { at, nested: { at }, gone: undefined } as never })
    expect(trg.payload).toEqual({ at: '2026-01-02T03:04:05.678Z', nested: { at: '2026-01-02T03:04:05.678Z' } })
    const [run] = await t.engine.getRunsByTrigger(trg.id)
    const done = await waitForRun(t.engine, run!.id)
    expect(done.context).toEqual({ echo: { got: { at: '2026-01-02T03:04:05.678Z', nested: { at: '2026-01-02T03:04:05.678Z' } } } })
  })

  it('refuses unstorable text in the signal fields', async () => {
    const before = await count()
    for (const field of ['tenantId', 'resourceId', 'environment', 'resourceType'] as const) {
      for (const bad of ['a\u0000', '\ud800']) {
        const err = await t.engine.emit({ tenantId: 'w', type: 'x.happened', [field]: bad }).catch((e: unknown) => e)
        expect(err, `${field} = ${JSON.stringify(bad)}`).toBeInstanceOf(PulseValidationError)
        expect((err as PulseValidationError).issues[0]!.path).toEqual([field])
      }
    }
    expect(await count()).toEqual(before)
  })

  it('createWorkflow and sync refuse non-JSON config, and write nothing', async () => {
    const before = await count()
    const base = { name: 'bad', triggerType: 'x.happened', steps: [{ type: 'action' as const, name: 'echo' }], isEnabled: true }
    for (const [what, config, message] of REFUSED.filter(([w]) => !w.startsWith('more than'))) {
      const err = await t.engine.createWorkflow({ ...base, tenantId: 'w', config: config as never }).catch((e: unknown) => e)
      expect(err, what).toBeInstanceOf(PulseValidationError)
      expect((err as Error).message, what).toMatch(message)
      const synced = await t.engine.sync({ tenantId: 'w', workflows: [{ ...base, key: 'bad', config: {} }], config: { bad: config as never } }).catch((e: unknown) => e)
      expect(synced, what).toBeInstanceOf(PulseValidationError)
    }
    const stepConfig = await t.engine
      .createWorkflow({ ...base, tenantId: 'w', config: {}, steps: [{ type: 'action', name: 'echo', config: { n: 1n } as never }] })
      .catch((e: unknown) => e)
    expect((stepConfig as PulseValidationError).issues[0]!.path).toEqual(['steps', 0, 'config', 'n'])
    expect(await count()).toEqual(before)
  })

  it('keeps running after all of that', async () => {
    const trg = await t.engine.emit({ tenantId: 'w', type: 'x.happened', payload: { ok: true } })
    const [run] = await t.engine.getRunsByTrigger(trg.id)
    expect((await waitForRun(t.engine, run!.id)).status).toBe('completed')
  })

  it('property: emit stores exactly the JSON of what it accepts and refuses the rest with a PulseValidationError', async () => {
    const anyValue = fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withSparseArray: true, maxDepth: 4, maxKeys: 5 })
    const payloads = fc.oneof(fc.dictionary(fc.string(), anyValue, { maxKeys: 5 }), fc.jsonValue({ maxDepth: 4 }).filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v)))
    let accepted = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(payloads, async (payload) => {
        const issues = checkJsonValue(payload, { maxBytes: 256 * 1024, maxDepth: 64 })
        const result = await t.engine.emit({ tenantId: 'fuzz', type: 'x.happened', payload: payload as never }).then(
          (trg) => ({ trg }),
          (err: unknown) => ({ err }),
        )
        if ('err' in result) {
          refused += 1
          expect(result.err).toBeInstanceOf(PulseValidationError)
          expect(issues.length).toBeGreaterThan(0)
        } else {
          accepted += 1
          expect(issues).toEqual([])
          const stored = await t.engine.getTrigger(result.trg.id)
          expect(stored!.payload).toEqual(JSON.parse(JSON.stringify(payload)))
        }
      }),
      { numRuns: sized(300, 3000) },
    )
    expect(accepted).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
  })
})

describe('definitions: raw JSON and the DSL', () => {
  const anyValue = fc.anything({ withBigInt: true, withDate: true, withMap: true, withNullPrototype: true, maxDepth: 3, maxKeys: 4 })
  const step = fc.record(
    {
      type: fc.oneof(fc.constantFrom('action', 'condition', 'delay', 'parallel'), fc.string()),
      name: fc.oneof(fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/), fc.string(), fc.constantFrom('__proto__', 'constructor')),
      delayMs: fc.oneof(fc.integer(), fc.double(), fc.constant(Number.NaN)),
      config: anyValue,
      onFalse: fc.oneof(fc.constant('skip'), fc.integer({ min: -2, max: 3 })),
      retryPolicy: fc.record({ maxAttempts: fc.integer({ min: -1, max: 12 }), backoffMs: fc.integer({ min: 0, max: 400_000 }) }),
    },
    { requiredKeys: ['type', 'name'] },
  )
  const definition = fc.record(
    {
      key: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.string()),
      name: fc.string({ maxLength: 20 }),
      triggerType: fc.oneof(fc.constant('x.happened'), fc.string()),
      steps: fc.array(step, { maxLength: 4 }),
      config: anyValue,
      isEnabled: fc.boolean(),
      cronExpression: fc.constantFrom('* * * * *', 'nope', '0 0 31 2 *'),
    },
    { requiredKeys: ['key', 'name', 'triggerType', 'steps'] },
  )

  it('property: validateDefinition returns plain JSON or throws PulseValidationError, never anything else', () => {
    let valid = 0
    fc.assert(
      fc.property(fc.oneof(definition, anyValue), (json) => {
        let spec: unknown
        try {
          spec = validateDefinition(json)
        } catch (err) {
          expect(err).toBeInstanceOf(PulseValidationError)
          expect((err as PulseValidationError).issues.length).toBeGreaterThan(0)
          return
        }
        valid += 1
        expect(checkJsonValue(spec, LIMITS)).toEqual([])
        expect(JSON.parse(JSON.stringify(spec))).toEqual(spec)
      }),
      { numRuns: sized(3000, 30_000) },
    )
    expect(valid).toBeGreaterThanOrEqual(0)
  })

  it('property: the DSL refuses bad keys, names and delays with PulseValidationError at build time', () => {
    const t = trigger('x.happened', { source: 'app' })
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.oneof(fc.integer({ min: -10, max: 10 ** 10 }), fc.constantFrom('5m', '0s', 'soon', '31d')), (key, name, delay) => {
        try {
          workflow(key)
            .on(t)
            .delay(delay as never)
            .do(action(name, () => undefined))
            .compile()
        } catch (err) {
          expect(err).toBeInstanceOf(PulseValidationError)
        }
      }),
      { numRuns: sized(2000, 20_000) },
    )
  })

  it('step outputs: checkJsonValue refuses an output over maxOutputBytes (the run-level check is in test/engine/steps.test.ts)', () => {
    const output = { blob: 'x'.repeat(1024 * 1024) }
    expect(checkJsonValue(output, LIMITS)[0]!.message).toMatch(/larger than the limit of 1048576 bytes/)
    expect(checkJsonValue({ blob: 'x'.repeat(1000) }, LIMITS)).toEqual([])
  })
})
