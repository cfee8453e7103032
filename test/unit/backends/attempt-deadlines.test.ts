/**
 * The one timer behind a transport's attempt deadlines (attempt-deadlines.ts), on fake timers: each
 * attempt expires its limit after it started, in the order they started; an attempt that ends
 * never expires; and no timer is left once no attempt is open (an idle transport must not hold
 * the process open).
 */
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {Deadlines, type Expiring} from '../../../src/backends/attempt-deadlines.js'

const expired: string[] = []
const attempt = (name: string): Expiring => ({due: 0, expire: () => expired.push(name)})

beforeEach(() => {
  expired.length = 0
  vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout', 'performance']})
})
afterEach(() => {
  vi.useRealTimers()
})

describe('Deadlines', () => {
  it('expires each open attempt its limit after it started, oldest first, with one timer', () => {
    const d = new Deadlines(1000)
    const a = attempt('a')
    const b = attempt('b')
    const c = attempt('c')
    d.start(a)
    vi.advanceTimersByTime(300)
    d.start(b)
    vi.advanceTimersByTime(300)
    d.start(c)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(399)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['a'])
    vi.advanceTimersByTime(300)
    expect(expired).toEqual(['a', 'b'])
    vi.advanceTimersByTime(300)
    expect(expired).toEqual(['a', 'b', 'c'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('an attempt that ended never expires; the others still do, on time', () => {
    const d = new Deadlines(1000)
    const a = attempt('a')
    const b = attempt('b')
    d.start(a)
    vi.advanceTimersByTime(500)
    d.start(b)
    d.close(a)
    vi.advanceTimersByTime(999)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['b'])
  })

  it('holds no timer while no attempt is open, and starts one again for the next', () => {
    const d = new Deadlines(1000)
    const a = attempt('a')
    d.start(a)
    d.close(a)
    expect(vi.getTimerCount()).toBe(0)
    d.close(a) // closing twice is harmless
    const b = attempt('b')
    d.start(b)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual(['b'])
    expect(vi.getTimerCount()).toBe(0)
  })
})
