import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration, PulseValidationError, type DurationInput } from '../../src/index.js'

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['3d', 259_200_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['0s', 0],
    [1500, 1500],
    [0, 0],
  ] as const)('reads %j as %i ms', (input, ms) => {
    expect(parseDuration(input as DurationInput)).toBe(ms)
  })

  it.each(['', '5', '5 m', '5min', '1.5h', '-5s', '30m1h', '1m1m', 'ms', ' 5m'])('rejects %j with a message that shows the format', (input) => {
    expect(() => parseDuration(input as DurationInput)).toThrow(PulseValidationError)
    expect(() => parseDuration(input as DurationInput)).toThrow(/largest first/)
  })

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %j', (input) => {
    expect(() => parseDuration(input)).toThrow(/whole, non-negative number of milliseconds/)
  })

  it('rejects values that are neither numbers nor strings', () => {
    expect(() => parseDuration(null as unknown as DurationInput)).toThrow(/got null/)
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [1500, '1s500ms'],
    [300_000, '5m'],
    [5_400_000, '1h30m'],
    [90_061_001, '1d1h1m1s1ms'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text as DurationInput)).toBe(ms)
  })
})
