import { describe, expect, it } from 'vitest'
import { describeCancelOn, describeWait, describeWaitOutcome } from '../../src/cli/describe-wait.js'
import { workflowToMermaid } from '../../src/cli/mermaid.js'
import type { WorkflowSpec } from '../../src/index.js'

describe('wait steps and cancelOn in words', () => {
  it('says what a wait waits for, how long, and what happens after', () => {
    expect(describeWait({ type: 'wait_for_signal', name: 'w', signalTypes: ['order.paid'], match: ['payload.orderId'], timeoutMs: 3 * 86_400_000 })).toBe(
      'wait for order.paid (match payload.orderId), up to 3d, then continue',
    )
    expect(describeWait({ type: 'wait_for_signal', name: 'w', signalTypes: ['job.done', 'job.error'], match: ['resourceId', 'environment'], timeoutMs: 90_000, onTimeout: 'fail' })).toBe(
      'wait for job.done or job.error (match resourceId, environment), up to 1m 30s, then fail the run',
    )
    expect(describeWait({ type: 'wait_for_signal', name: 'w', signalTypes: ['x'], timeoutMs: 500, onTimeout: 'complete' })).toBe('wait for x, up to 500ms, then complete the run')
    expect(describeCancelOn({ signalType: 'invoice.paid', match: ['resourceId'] })).toBe('cancel on invoice.paid (match resourceId)')
  })

  it('says what came of a finished wait', () => {
    expect(describeWaitOutcome({ receivedSignalId: 'trg_1', signalType: 'order.paid' })).toBe('received order.paid trg_1')
    expect(describeWaitOutcome({ timedOut: true, waitedMs: 7_200_000, signalTypes: ['order.paid'] })).toBe('timed out after 2h')
    expect(describeWaitOutcome({ reason: 'dry run: waits do not wait', wouldWaitFor: ['order.paid'], match: [] })).toBe('dry run: waits do not wait')
    expect(describeWaitOutcome(undefined)).toBeUndefined()
  })
})

describe('workflowToMermaid', () => {
  it('draws wait steps as hexagons, in branches too, and cancelOn under the trigger', () => {
    const spec: WorkflowSpec = {
      key: 'trial',
      name: 'Trial',
      triggerType: 'trial.expiring',
      cancelOn: [{ signalType: 'account.closed', match: ['resourceId'] }],
      steps: [
        { type: 'wait_for_signal', name: 'await_sub', signalTypes: ['subscription.created'], match: ['resourceId'], timeoutMs: 3 * 86_400_000 },
        {
          type: 'parallel',
          name: 'p',
          branches: [[{ type: 'wait_for_signal', name: 'await_reply', signalTypes: ['email.replied'], timeoutMs: 3_600_000, onTimeout: 'fail' }], [{ type: 'action', name: 'a' }]],
        },
      ],
      config: {},
      isEnabled: true,
    }
    expect(workflowToMermaid(spec)).toBe(
      [
        'flowchart TD',
        '  start(["on trial.expiring<br/>cancel on account.closed (match resourceId)"])',
        '  s0{{"await_sub<br/>wait for subscription.created (match resourceId), up to 3d, then continue"}}',
        '  s1[["p<br/>parallel"]]',
        '  s1_0_0{{"await_reply<br/>wait for email.replied, up to 1h, then fail the run"}}',
        '  s1_1_0["a"]',
        '  s1_join(("join"))',
        '  finish(["end"])',
        '  start --> s0',
        '  s0 --> s1',
        '  s1_0_0 --> s1_join',
        '  s1 -->|branch 0| s1_0_0',
        '  s1_1_0 --> s1_join',
        '  s1 -->|branch 1| s1_1_0',
        '  s1_join --> finish',
      ].join('\n'),
    )
  })
})
