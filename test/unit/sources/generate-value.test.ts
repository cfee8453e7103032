import {describe, expect, it} from 'vitest'
import {CHARSETS, generateValue} from '../../../src/sources/generate.js'

describe('generateValue', () => {
  it.each([
    ['alphanumeric', /^[A-Za-z0-9]+$/],
    ['hex', /^[0-9a-f]+$/],
    ['base64url', /^[A-Za-z0-9_-]+$/],
    ['ascii', /^[\x21-\x7e]+$/],
  ])('%s: right length and alphabet', (charset, alphabet) => {
    for (const length of [8, 33, 4096]) {
      const value = generateValue({length, charset})
      expect(value).toHaveLength(length)
      expect(value).toMatch(alphabet)
    }
  })

  it('ascii has no space and covers printable characters', () => {
    expect(CHARSETS.ascii).toHaveLength(94)
    expect(CHARSETS.ascii).not.toContain(' ')
  })

  it('is random: no repeats, and every character of the charset shows up', () => {
    const values = new Set(Array.from({length: 200}, () => generateValue({length: 32, charset: 'alphanumeric'})))
    expect(values.size).toBe(200)
    const seen = new Set(generateValue({length: 4096, charset: 'hex'}))
    expect(seen.size).toBe(16)
  })

  it('draws roughly uniformly (no modulo bias towards the first characters)', () => {
    const counts = new Map<string, number>()
    for (const c of generateValue({length: 62 * 2000, charset: 'alphanumeric'})) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect(counts.size).toBe(62)
    for (const n of counts.values()) expect(n).toBeGreaterThan(1600) // expected 2000 each; 9 sigma below
  })

  it('refuses an unknown charset', () => {
    expect(() => generateValue({length: 8, charset: 'ebcdic'})).toThrow(/unknown charset "ebcdic"/)
  })
})
