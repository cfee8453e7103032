/**
 * How a long apply shows it is moving, instead of a line per secret: at a terminal a bar with the
 * count, the rate and the time left (cli-progress, loaded only then); elsewhere (CI, a cron log) a
 * line every few seconds saying the same. Written to stderr, so the command's output stays its
 * own. The line mode reads an injectable clock, so what it prints is tested without waiting.
 */
import type {ApplyProgress, ChangeOutcome} from '../apply/types.js'

/** Between two progress lines off a terminal, unless SECRETCTL_PROGRESS_INTERVAL says otherwise. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 5000

export interface ProgressLineOptions {
  /** Where the lines go (stderr). */
  write: (text: string) => void
  /** Milliseconds between lines (0: after every change). */
  intervalMs: number
  /** The clock, in milliseconds (default: performance.now). */
  now?: () => number
  /** Also print a line when no change finished for a whole interval (default true; tests turn it off). */
  heartbeat?: boolean
}

/** `apply: 120/1000 changes (12%), 2 failed, 40.0/s, ETA 22s`. */
export function progressLine(done: number, total: number, failed: number, elapsedMs: number): string {
  const percent = total ? Math.floor((done * 100) / total) : 100
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0
  const eta = done >= total ? 'done' : rate > 0 ? `ETA ${formatSeconds((total - done) / rate)}` : 'ETA unknown'
  const failures = failed ? `, ${failed} failed` : ''
  return `apply: ${done}/${total} changes (${percent}%)${failures}, ${formatRate(rate)}/s, ${eta}`
}

function formatRate(rate: number): string {
  return rate < 10 ? rate.toFixed(1) : String(Math.round(rate))
}

/** 45s, 3m05s, 1h02m. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** Off a terminal: a line when at least `intervalMs` passed since the last one, and a last line if any was printed. */
export class ProgressLines implements ApplyProgress {
  private total = 0
  private done = 0
  private failed = 0
  private started = 0
  private last = 0
  /** The count the last line showed (-1: none yet). */
  private shown = -1
  private timer?: NodeJS.Timeout
  private readonly now: () => number

  constructor(private readonly opts: ProgressLineOptions) {
    this.now = opts.now ?? (() => performance.now())
  }

  start(total: number): void {
    this.total = total
    this.started = this.last = this.now()
    if (this.opts.heartbeat !== false && this.opts.intervalMs > 0) {
      this.timer = setInterval(() => this.tick(), this.opts.intervalMs)
      this.timer.unref()
    }
  }

  outcome(o: ChangeOutcome): void {
    this.done++
    if (o.outcome === 'failed') this.failed++
    this.tick()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    // A short apply prints nothing; a long one ends on its final count.
    if (this.shown !== -1 && this.shown !== this.done) this.print(this.now())
  }

  private tick(): void {
    const t = this.now()
    if (t - this.last >= this.opts.intervalMs) this.print(t)
  }

  private print(t: number): void {
    this.opts.write(`${progressLine(this.done, this.total, this.failed, t - this.started)}\n`)
    this.shown = this.done
    this.last = t
  }
}

/** Milliseconds between two updates of the bar (it redraws every 100 ms). */
const BAR_UPDATE_MS = 100

/** At a terminal: a bar that redraws in place and is cleared at the end (the summary follows it). */
export class ProgressBar implements ApplyProgress {
  private bar?: import('cli-progress').SingleBar
  private failed = 0
  private done = 0
  private started = 0
  private updated = Number.NEGATIVE_INFINITY

  constructor(private readonly stream: NodeJS.WriteStream) {}

  async start(total: number): Promise<void> {
    const {SingleBar} = (await import('cli-progress')).default
    this.bar = new SingleBar({
      stream: this.stream,
      format: 'apply [{bar}] {value}/{total} changes{failures} | {rate}/s | ETA {eta_formatted}',
      barsize: 30,
      clearOnComplete: true,
      etaBuffer: 50,
    })
    this.started = performance.now()
    this.bar.start(total, 0, {rate: '0.0', failures: ''})
  }

  outcome(o: ChangeOutcome): void {
    this.done++
    if (o.outcome === 'failed') this.failed++
    // The bar redraws ten times a second: handing it every change (its ETA, the rate's text) cost 4 % of an
    // apply of 10,000 at a terminal (docs/performance.md, "Issue 18"); a tenth of a second apart is what shows.
    const t = performance.now()
    if (t - this.updated >= BAR_UPDATE_MS) this.update(t)
  }

  stop(): void {
    this.update(performance.now())
    this.bar?.stop()
  }

  private update(t: number): void {
    this.updated = t
    const elapsed = (t - this.started) / 1000
    this.bar?.update(this.done, {
      rate: formatRate(elapsed > 0 ? this.done / elapsed : 0),
      failures: this.failed ? ` (${this.failed} failed)` : '',
    })
  }
}
