import {describe, it, expect} from 'vitest'
import {tokenHealth, rotationDue, formatAge} from '../../../src/rotation/token-health.js'

const H = 3600_000
const now = new Date('2026-06-10T00:00:00Z')
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString()
const ahead = (ms: number) => new Date(now.getTime() + ms).toISOString()
const rotation = {period: '24h'}

describe('tokenHealth', () => {
  it('healthy within period plus grace, STALE just past it (grace = a quarter period)', () => {
    expect(tokenHealth({lastRotatedAt: ago(30 * H)}, rotation, now).word).toBe('healthy')
    expect(tokenHealth({lastRotatedAt: ago(30 * H + 60_000)}, rotation, now)).toMatchObject({
      word: 'STALE',
      detail: 'token 30h old, period 24h: rotation is not keeping up',
    })
  })

  it('WARNING when the token expires within 7 days, at the boundary and inside it', () => {
    expect(tokenHealth({lastRotatedAt: ago(H), expiresAt: ahead(7 * 24 * H + 60_000)}, rotation, now).word).toBe('healthy')
    expect(tokenHealth({lastRotatedAt: ago(H), expiresAt: ahead(7 * 24 * H)}, rotation, now).word).toBe('WARNING')
    expect(tokenHealth({lastRotatedAt: ago(H), expiresAt: ago(1)}, rotation, now)).toMatchObject({word: 'WARNING', detail: 'token expired'})
  })

  it('ERROR wins when the last rotation failed, and says why', () => {
    const h = tokenHealth({lastRotatedAt: ago(H), expiresAt: ahead(H), lastRotationError: 'mint refused: permission denied'}, rotation, now)
    expect(h).toMatchObject({word: 'ERROR', detail: 'last rotation failed: mint refused: permission denied'})
  })

  it('unknown when secretctl never rotated a managed token', () => {
    expect(tokenHealth(null, rotation, now).word).toBe('unknown')
    expect(tokenHealth(null, null, now).word).toBe('healthy')
  })
})

describe('rotationDue', () => {
  it('due at the period, not before; unknown age is due', () => {
    expect(rotationDue({lastRotatedAt: ago(24 * H - 1)}, rotation, now).due).toBe(false)
    expect(rotationDue({lastRotatedAt: ago(26 * H)}, rotation, now)).toEqual({due: true, reason: 'token 26h old, period 24h'})
    expect(rotationDue(null, rotation, now).due).toBe(true)
    expect(rotationDue({lastRotatedAt: ago(100 * H)}, null, now).due).toBe(false)
  })
})

describe('formatAge', () => {
  it('is coarse and readable', () => {
    expect(formatAge(45 * 60_000)).toBe('45m')
    expect(formatAge(26 * H)).toBe('26h')
    expect(formatAge(76 * H)).toBe('3d4h')
    expect(formatAge(72 * H)).toBe('3d')
  })
})
