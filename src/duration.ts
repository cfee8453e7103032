/**
 * Durations as manifests write them (`24h`, `720h`, `30d`, `90m`, `1h30m`, `45s`): Go's
 * `time.ParseDuration` units from milliseconds up, plus `d` for days. One grammar for the loader,
 * the planner (token and generate rotation) and the messages that print an age.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

const WHOLE = /^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d))+$/
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g

/** Milliseconds in `text` (`1h30m` → 5400000), or null when it is not a duration. `0s` is 0. */
export function parseDuration(text: string): number | null {
  if (typeof text !== 'string' || !WHOLE.test(text)) return null
  let total = 0
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!
  return Number.isFinite(total) ? Math.round(total) : null
}

/** Compact Go-style text for `ms`, hours as the largest unit: 93600000 → `26h`, 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms)
  const sign = ms < 0 ? '-' : ''
  let rest = Math.round(Math.abs(ms))
  if (rest === 0) return '0s'
  let out = ''
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit]!
    const n = Math.floor(rest / size)
    if (n > 0) out += `${n}${unit}`
    rest -= n * size
  }
  return sign + out
}
