/**
 * The health word of a backend's token, from what the state records and the rotation settings:
 * ERROR (the last rotation failed), WARNING (expires within 7 days), STALE (older than its period
 * plus a grace of a quarter period: rotation is not happening), else healthy. Pure, so every
 * boundary is unit-tested; `describe backend` and `get backends` show it.
 */
import type {TokenMeta} from '../state/types.js'
import {parseDuration} from '../duration.js'

export type TokenHealthWord = 'healthy' | 'STALE' | 'WARNING' | 'ERROR' | 'unknown'

export const EXPIRY_WARNING_MS = 7 * 24 * 3600_000
/** Grace after the period before a token counts as stale: a quarter of the period. */
export const STALE_GRACE_FRACTION = 0.25

export interface TokenHealth {
  word: TokenHealthWord
  detail: string
  ageMs: number | null
  lastRotatedAt: string | null
  expiresAt: string | null
  lastRotationError: string | null
}

/** When the current token came into being: its last rotation, else its creation. */
export function tokenBornAt(meta: TokenMeta | null): string | null {
  return meta?.lastRotatedAt ?? meta?.createdAt ?? null
}

export function tokenHealth(meta: TokenMeta | null, rotation: {period?: string} | null, now: Date): TokenHealth {
  const born = tokenBornAt(meta)
  const ageMs = born ? now.getTime() - Date.parse(born) : null
  const base = {
    ageMs,
    lastRotatedAt: meta?.lastRotatedAt ?? null,
    expiresAt: meta?.expiresAt ?? null,
    lastRotationError: meta?.lastRotationError ?? null,
  }
  if (meta?.lastRotationError) return {...base, word: 'ERROR', detail: `last rotation failed: ${meta.lastRotationError}`}
  if (meta?.expiresAt) {
    const left = Date.parse(meta.expiresAt) - now.getTime()
    if (left <= EXPIRY_WARNING_MS)
      return {...base, word: 'WARNING', detail: left <= 0 ? 'token expired' : `token expires in ${formatAge(left)}`}
  }
  const period = rotation?.period ? parseDuration(rotation.period) : null
  if (period !== null && ageMs !== null && ageMs > period * (1 + STALE_GRACE_FRACTION)) {
    return {...base, word: 'STALE', detail: `token ${formatAge(ageMs)} old, period ${rotation!.period}: rotation is not keeping up`}
  }
  if (!meta || ageMs === null)
    return {...base, word: rotation ? 'unknown' : 'healthy', detail: rotation ? 'no rotation recorded yet' : 'not managed by secretctl'}
  return {...base, word: 'healthy', detail: `token ${formatAge(ageMs)} old`}
}

/** Is the token due for rotation (older than its period)? Unknown age counts as due. */
export function rotationDue(meta: TokenMeta | null, rotation: {period?: string} | null, now: Date): {due: boolean; reason: string} {
  const period = rotation?.period ? parseDuration(rotation.period) : null
  const born = tokenBornAt(meta)
  if (period === null) return {due: false, reason: 'no rotation period'}
  if (!born) return {due: true, reason: 'token age unknown: never rotated by secretctl'}
  const age = now.getTime() - Date.parse(born)
  return age >= period
    ? {due: true, reason: `token ${formatAge(age)} old, period ${rotation!.period}`}
    : {due: false, reason: `token ${formatAge(age)} old`}
}

/** `26h`, `3d4h`, `45m`: coarse, for humans. */
export function formatAge(ms: number): string {
  const m = Math.floor(ms / 60_000)
  if (m < 60) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h`
  const d = Math.floor(h / 24)
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`
}
