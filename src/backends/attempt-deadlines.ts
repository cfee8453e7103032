/**
 * The deadlines of a transport's HTTP attempts, on one timer. Every attempt of a transport has the
 * same limit, so their deadlines come in the order they started: the timer waits for the oldest
 * open attempt only, and an attempt that ends just leaves the set. A timer (and an abort signal)
 * per attempt were a few per cent of a migration's CPU at thousands of requests a second
 * (docs/performance.md). The timer runs only while some attempt is open: an idle transport holds
 * no timer, and so never holds the process open.
 */

/** An attempt with a deadline: `expire` is called once, when the deadline passes before it ended. */
export interface Expiring {
  /** When it expires, in `performance.now()` milliseconds; set by `Deadlines.open`. */
  due: number
  expire(): void
}

export class Deadlines {
  /** Open attempts in the order they started, which is the order of their deadlines. */
  private readonly open = new Set<Expiring>()
  private timer?: NodeJS.Timeout

  constructor(private readonly ms: number) {}

  /** Starts `attempt`'s clock: `expire` is called `ms` from now unless `close(attempt)` comes first. */
  start(attempt: Expiring): void {
    attempt.due = performance.now() + this.ms
    this.open.add(attempt)
    this.timer ??= setTimeout(this.fire, this.ms)
  }

  /** The attempt ended (answered or failed): its deadline no longer matters. */
  close(attempt: Expiring): void {
    if (!this.open.delete(attempt) || this.open.size > 0) return
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private readonly fire = (): void => {
    this.timer = undefined
    const now = performance.now()
    for (const attempt of this.open) {
      if (attempt.due <= now) {
        this.open.delete(attempt)
        attempt.expire()
        continue
      }
      clearTimeout(this.timer)
      this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(attempt.due - now)))
      return
    }
  }
}
