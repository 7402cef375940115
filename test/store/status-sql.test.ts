import { describe, expect, it } from 'vitest'
import { statusList, statusLiteral } from '../../src/store/status-sql.js'
import type { StepStatus } from '../../src/types.js'

describe('statuses in statement text', () => {
  it('become quoted literals, in the order given', () => {
    expect(statusList(['pending', 'scheduled'])).toBe(`'pending', 'scheduled'`)
    expect(statusLiteral('running')).toBe(`'running'`)
  })

  it('refuse anything that is not a run or step status, so nothing else reaches the SQL', () => {
    expect(() => statusLiteral(`running') OR true --` as StepStatus)).toThrow(/is not a run or step status/)
    expect(() => statusList([])).toThrow(/at least one status/)
  })
})
