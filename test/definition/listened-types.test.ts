import { describe, expect, it } from 'vitest'
import { listenedSignalTypes, listeners } from '../../src/definition/index.js'
import type { WorkflowStep } from '../../src/index.js'

const wait = (name: string, signalTypes: string[]): WorkflowStep => ({ type: 'wait_for_signal', name, signalTypes, timeoutMs: 1000 })

describe('listenedSignalTypes', () => {
  it('lists the types of every wait, inside parallel branches too, and of cancelOn, each once', () => {
    const steps: WorkflowStep[] = [
      wait('w1', ['order.paid', 'order.failed']),
      {
        type: 'parallel',
        name: 'p',
        branches: [[{ type: 'action', name: 'a' }], [{ type: 'parallel', name: 'inner', branches: [[wait('w2', ['refund.issued'])], [wait('w3', ['order.paid'])]] }]],
      },
    ]
    const cancelOn = [{ signalType: 'account.closed', match: ['resourceId' as const] }, { signalType: 'order.failed', match: ['resourceId' as const] }]
    expect(listenedSignalTypes({ steps, cancelOn })).toEqual(['order.paid', 'order.failed', 'refund.issued', 'account.closed'])
  })

  it('is empty for a workflow that neither waits nor cancels on a signal', () => {
    expect(listenedSignalTypes({ steps: [{ type: 'delay', name: 'd', delayMs: 5 }] })).toEqual([])
  })
})

describe('listeners', () => {
  it('pairs each listened type with the sorted paths it matches on, each pair once', () => {
    const steps: WorkflowStep[] = [
      { type: 'wait_for_signal', name: 'w1', signalTypes: ['order.paid', 'order.failed'], match: ['resourceId', 'payload.orderId'], timeoutMs: 1000 },
      { type: 'wait_for_signal', name: 'w2', signalTypes: ['order.paid'], match: ['payload.orderId', 'resourceId'], timeoutMs: 1000 },
      { type: 'wait_for_signal', name: 'w3', signalTypes: ['order.paid'], match: ['payload.orderId'], timeoutMs: 1000 },
    ]
    expect(listeners({ steps, cancelOn: [{ signalType: 'order.paid', match: ['payload.orderId'] }] })).toEqual([
      { signalType: 'order.paid', matchPaths: ['payload.orderId', 'resourceId'], cancels: false },
      { signalType: 'order.failed', matchPaths: ['payload.orderId', 'resourceId'], cancels: false },
      { signalType: 'order.paid', matchPaths: ['payload.orderId'], cancels: false },
      { signalType: 'order.paid', matchPaths: ['payload.orderId'], cancels: true },
    ])
  })
})
