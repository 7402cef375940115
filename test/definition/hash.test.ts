import { describe, expect, it } from 'vitest'
import { definitionHash } from '../../src/definition/index.js'
import type { WorkflowSpec } from '../../src/index.js'

const spec: Omit<WorkflowSpec, 'key'> = { name: 'n', triggerType: 't.x', steps: [{ type: 'action', name: 'a' }], config: { a: 1 }, isEnabled: true }

describe('definitionHash', () => {
  it('hashes a definition without cancelOn as it did before cancelOn existed, so upgrading stores no new versions', () => {
    expect(definitionHash(spec)).toBe('6b84fd7a3411311348c2286633eada8c')
  })

  it('changes when cancelOn is added or changed, and not with the order of its fields', () => {
    const one = definitionHash({ ...spec, cancelOn: [{ signalType: 'invoice.paid', match: ['resourceId'] }] })
    const other = definitionHash({ ...spec, cancelOn: [{ signalType: 'invoice.paid', match: ['payload.invoiceId'] }] })
    expect(one).not.toBe(definitionHash(spec))
    expect(other).not.toBe(one)
    expect(definitionHash({ ...spec, cancelOn: [{ match: ['resourceId'], signalType: 'invoice.paid' }] })).toBe(one)
  })
})
