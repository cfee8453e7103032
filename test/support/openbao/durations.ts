/**
 * Durations the way OpenBao reads and prints them: `parseutil.ParseDurationSecond` for input
 * (an integer or a digit string is seconds; otherwise Go's `time.ParseDuration` units, plus `d`)
 * and Go's `time.Duration.String()` for output (`0s`, `1h0m0s`, `768h0m0s`).
 */

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
}

const WHOLE = /^[-+]?(?:[0-9]+(?:\.[0-9]*)?(?:ns|us|µs|ms|s|m|h|d))+$/
const PART = /([0-9]+(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h|d)/g

/** Error text OpenBao gives for an unparseable duration. */
export class DurationError extends Error {}

/**
 * Seconds in `value` (`"1h"` → 3600, `90` → 90, `"90"` → 90, `""`/null → 0), rounded down to whole
 * seconds as OpenBao's TTL fields are. Throws `DurationError` when it is not a duration.
 */
export function parseDurationSeconds(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DurationError(`invalid duration ${value}`)
    return Math.trunc(value)
  }
  if (typeof value !== 'string') throw new DurationError(`could not parse duration from input ${JSON.stringify(value)}`)
  const text = value.trim()
  if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10)
  if (!WHOLE.test(text)) throw new DurationError(`time: invalid duration ${JSON.stringify(text)}`)
  const sign = text.startsWith('-') ? -1 : 1
  let total = 0
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_SECONDS[unit!]!
  return sign * Math.trunc(total + 1e-9)
}

/** Go's `time.Duration.String()` for a whole number of seconds: 0 → `0s`, 3600 → `1h0m0s`. */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return '0s'
  const sign = seconds < 0 ? '-' : ''
  let rest = Math.abs(Math.trunc(seconds))
  const h = Math.floor(rest / 3600)
  rest -= h * 3600
  const m = Math.floor(rest / 60)
  const s = rest - m * 60
  if (h > 0) return `${sign}${h}h${m}m${s}s`
  if (m > 0) return `${sign}${m}m${s}s`
  return `${sign}${s}s`
}
