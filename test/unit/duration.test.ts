import {describe, expect, it} from 'vitest'
import {formatDuration, parseDuration} from '../../src/duration.js'

const H = 3_600_000

describe('parseDuration', () => {
  it.each([
    ['24h', 24 * H],
    ['720h', 720 * H],
    ['30d', 30 * 24 * H],
    ['90m', 90 * 60_000],
    ['1h30m', 1.5 * H],
    ['45s', 45_000],
    ['250ms', 250],
    ['1.5h', 1.5 * H],
    ['1d12h', 36 * H],
    ['0s', 0],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '24', 'h', '1x', '1 h', '-1h', '1h 30m', ' 1h', '1H', '1.h', 'abc', '1h30'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull()
  })
})

describe('formatDuration', () => {
  it.each([
    [26 * H, '26h'],
    [720 * H, '720h'],
    [90 * 60_000, '1h30m'],
    [45_000, '45s'],
    [1_500, '1s500ms'],
    [0, '0s'],
    [-2 * H, '-2h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 61_000, 3_723_004, 30 * 24 * H]) expect(parseDuration(formatDuration(ms))).toBe(ms)
  })
})
