/**
 * The test server's injectable clock. Every time the server looks at (token TTLs, KV timestamps,
 * health's `server_time_utc`, the request log) comes from here, so a test can move time forward
 * (`advance`) or jump (`setNow`) instead of sleeping. By default the clock follows the wall clock
 * plus an offset; `createTestClock({ frozenAt })` gives one that only moves when told to.
 */

export interface TestClock {
  /** Milliseconds since the epoch, as the server sees it. */
  now(): number
  /** Moves the clock forward by `ms` (negative moves it back). */
  advance(ms: number): void
  /** Sets the clock to `epochMs`; a following clock keeps ticking from there. */
  setNow(epochMs: number): void
  /** Whether the clock only moves through `advance` / `setNow`. */
  readonly frozen: boolean
}

export interface TestClockOptions {
  /** Freeze the clock at this instant (milliseconds since the epoch, or a Date). */
  frozenAt?: number | Date
}

class FollowingClock implements TestClock {
  readonly frozen = false
  private offset = 0
  now(): number {
    return Date.now() + this.offset
  }
  advance(ms: number): void {
    this.offset += ms
  }
  setNow(epochMs: number): void {
    this.offset = epochMs - Date.now()
  }
}

class FrozenClock implements TestClock {
  readonly frozen = true
  constructor(private current: number) {}
  now(): number {
    return this.current
  }
  advance(ms: number): void {
    this.current += ms
  }
  setNow(epochMs: number): void {
    this.current = epochMs
  }
}

/** A clock for the server: following the wall clock unless `frozenAt` is given. */
export function createTestClock(opts: TestClockOptions = {}): TestClock {
  if (opts.frozenAt !== undefined) {
    const at = opts.frozenAt instanceof Date ? opts.frozenAt.getTime() : opts.frozenAt
    return new FrozenClock(at)
  }
  return new FollowingClock()
}

/**
 * Go's `time.RFC3339Nano` in UTC (`2024-05-01T10:00:00.123456789Z`, trailing zeros of the
 * fraction trimmed, no fraction at all when it is zero), as OpenBao prints timestamps.
 */
export function formatRfc3339Nano(epochMs: number, extraNanos = 0): string {
  const whole = Math.floor(epochMs / 1000)
  const nanos = Math.round((epochMs - whole * 1000) * 1e6) + extraNanos
  const base = new Date(whole * 1000).toISOString().slice(0, 19)
  if (nanos === 0) return `${base}Z`
  const fraction = String(nanos).padStart(9, '0').replace(/0+$/, '')
  return `${base}.${fraction}Z`
}

/**
 * Hands out timestamps that are unique and increasing even when the clock does not move (a frozen
 * clock, or two writes in the same millisecond): a sub-millisecond nanosecond counter is added, so
 * versions written one after the other never share a `created_time`.
 */
export class TimestampSource {
  private lastMs = -1
  private counter = 0
  constructor(private readonly clock: TestClock) {}
  /** The clock's current time in milliseconds, without consuming a timestamp. */
  nowMs(): number {
    return this.clock.now()
  }
  /** The current instant without the uniqueness counter (for deletion times and the like). */
  current(): {ms: number; text: string} {
    const ms = this.clock.now()
    return {ms, text: formatRfc3339Nano(ms)}
  }
  /** The current instant as `{ ms, text }`, `text` in RFC 3339 with nanoseconds. */
  next(): {ms: number; text: string} {
    const ms = this.clock.now()
    if (ms === this.lastMs) this.counter = Math.min(this.counter + 1, 999_999)
    else {
      this.lastMs = ms
      this.counter = 0
    }
    return {ms, text: formatRfc3339Nano(ms, this.counter)}
  }
}
