/**
 * Request field readers with OpenBao's weak typing (`framework.FieldData`): booleans from
 * `"true"`/`1`, integers from digit strings, string slices from arrays or comma-separated text,
 * durations in seconds from `"1h"` or a number, maps from JSON objects. A bad value throws a
 * `FieldError` whose message the handler returns with a 400.
 */
import {DurationError, parseDurationSeconds} from './durations.js'

export type RequestData = Record<string, unknown> | null

export class FieldError extends Error {}

export function has(data: RequestData, key: string): boolean {
  return !!data && Object.hasOwn(data, key) && data[key] !== undefined
}

export function getString(data: RequestData, key: string, fallback = ''): string {
  if (!has(data, key)) return fallback
  const v = data![key]
  if (v === null) return fallback
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  throw new FieldError(`error converting input ${JSON.stringify(v)} for field ${JSON.stringify(key)}: expected string`)
}

export function getBool(data: RequestData, key: string, fallback = false): boolean {
  if (!has(data, key)) return fallback
  const v = data![key]
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase()
    if (['1', 't', 'true'].includes(t)) return true
    if (['0', 'f', 'false', ''].includes(t)) return false
  }
  throw new FieldError(`error converting input ${JSON.stringify(v)} for field ${JSON.stringify(key)}: cannot parse '' as bool`)
}

export function getInt(data: RequestData, key: string, fallback = 0): number {
  if (!has(data, key)) return fallback
  const v = data![key]
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v)
  if (typeof v === 'string' && /^\s*-?[0-9]+\s*$/.test(v)) return parseInt(v, 10)
  if (typeof v === 'string' && v.trim() === '') return fallback
  throw new FieldError(`error converting input ${JSON.stringify(v)} for field ${JSON.stringify(key)}: cannot parse as int`)
}

export function getStringSlice(data: RequestData, key: string): string[] {
  if (!has(data, key)) return []
  const v = data![key]
  if (v === null) return []
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : String(x))).filter((x) => x !== '')
  if (typeof v === 'string')
    return v === ''
      ? []
      : v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
  throw new FieldError(`error converting input ${JSON.stringify(v)} for field ${JSON.stringify(key)}: expected a list`)
}

export function getIntSlice(data: RequestData, key: string): number[] {
  if (!has(data, key)) return []
  const v = data![key]
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',').filter((s) => s.trim() !== '') : [v]
  return items.map((x) => {
    if (typeof x === 'number' && Number.isFinite(x)) return Math.trunc(x)
    if (typeof x === 'string' && /^\s*-?[0-9]+\s*$/.test(x)) return parseInt(x, 10)
    throw new FieldError(`error converting input ${JSON.stringify(v)} for field ${JSON.stringify(key)}: expected integers`)
  })
}

export function getDuration(data: RequestData, key: string, fallback = 0): number {
  if (!has(data, key)) return fallback
  try {
    return parseDurationSeconds(data![key])
  } catch (err) {
    if (err instanceof DurationError)
      throw new FieldError(`error converting input ${JSON.stringify(data![key])} for field ${JSON.stringify(key)}: ${err.message}`)
    throw err
  }
}

export function getMap(data: RequestData, key: string): Record<string, unknown> | undefined {
  if (!has(data, key)) return undefined
  const v = data![key]
  if (v === null) return undefined
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>
  throw new FieldError(`error converting input ${JSON.stringify(v)} for field ${JSON.stringify(key)}: expected a map`)
}

/** A `TypeKVPairs` field: a map of strings (values stringified as mapstructure does). */
export function getStringMap(data: RequestData, key: string): Record<string, string> | undefined {
  const m = getMap(data, key)
  if (!m) return undefined
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(m))
    out[k] = v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return out
}
