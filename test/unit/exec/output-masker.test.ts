/**
 * The output masker: every occurrence of every value becomes `***`, whatever the chunking, down to
 * one byte per chunk, values split inside a multi-byte UTF-8 character, overlapping and nested
 * values; output that cannot start a value is passed on at once.
 */
import {describe, expect, it} from 'vitest'
import {OutputMasker} from '../../../src/exec/output-masker.js'

/** Feeds `text` in chunks cut at `cuts` (byte offsets) and returns everything passed on, with what each push returned. */
function run(values: string[], text: string, cuts: number[] = []) {
  const bytes = Buffer.from(text, 'utf8')
  const m = new OutputMasker(values)
  const pieces: Buffer[] = []
  let at = 0
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(m.push(bytes.subarray(at, cut)))
    at = cut
  }
  pieces.push(m.end())
  return {out: Buffer.concat(pieces).toString('utf8'), pieces: pieces.map((p) => p.toString('utf8'))}
}

/** Every way of cutting `text` into two chunks, and into single bytes. */
function everyChunking(values: string[], text: string): string[] {
  const n = Buffer.byteLength(text)
  const outs = new Set<string>()
  for (let i = 0; i <= n; i++) outs.add(run(values, text, [i]).out)
  outs.add(
    run(
      values,
      text,
      Array.from({length: n}, (_, i) => i),
    ).out,
  )
  return [...outs]
}

describe('OutputMasker', () => {
  it('masks every occurrence, however the output is chunked', () => {
    expect(everyChunking(['s3cret'], 'a s3cret and s3cret.')).toEqual(['a *** and ***.'])
  })

  it('masks a value split inside a multi-byte character', () => {
    const value = 'pä§wörd✓'
    expect(everyChunking([value], `x${value}y — ${value}`)).toEqual(['x***y — ***'])
  })

  it('overlapping occurrences and overlapping values become one mask, revealing no byte of either', () => {
    expect(everyChunking(['abab'], 'xabababy')).toEqual(['x***y'])
    expect(everyChunking(['abc', 'bcd'], '-abcd-')).toEqual(['-***-'])
    expect(everyChunking(['xy', 'yzzzz'], '[xyzzzz]')).toEqual(['[***]'])
    expect(everyChunking(['token', 'tok'], 'tok token toke')).toEqual(['*** *** ***e'])
  })

  it('passes on at once what cannot start a value, and holds back only a possible start', () => {
    const {pieces} = run(['secret'], 'hello sec', [6])
    expect(pieces[0]).toBe('hello ')
    expect(pieces[1]).toBe('') // "sec" could begin the value
    expect(pieces[2]).toBe('sec') // the stream ended: it did not
    expect(run(['secret'], 'no match here').pieces[0]).toBe('no match here')
  })

  it('leaves output alone with no values (empty ones ignored)', () => {
    expect(run([''], 'anything').out).toBe('anything')
    expect(run([], '').out).toBe('')
  })

  it('holds no more than the longest value less one byte', () => {
    const m = new OutputMasker(['abcdef'])
    expect(m.push(Buffer.from('xxabcde')).toString()).toBe('xx')
    expect(m.push(Buffer.from('Z')).toString()).toBe('abcdeZ')
  })

  it('streams exactly what masking the whole output at once gives (seeded random cases)', () => {
    let seed = 42
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const alphabet = ['a', 'b', 'c', 'é', '✓']
    const word = (max: number) => Array.from({length: 1 + random(max)}, () => alphabet[random(alphabet.length)]).join('')
    for (let round = 0; round < 1000; round++) {
      const values = Array.from({length: 1 + random(3)}, () => word(4))
      const text = word(24)
      const n = Buffer.byteLength(text)
      const cuts = [...new Set(Array.from({length: random(6)}, () => random(n + 1)))].sort((x, y) => x - y)
      expect(run(values, text, cuts).out, JSON.stringify({values, text, cuts})).toBe(maskAtOnce(values, text))
    }
  })
})

/** The reference: every occurrence of every value in the whole text, merged, each run replaced by one `***`. */
function maskAtOnce(values: string[], text: string): string {
  const bytes = Buffer.from(text)
  const hits: [number, number][] = []
  for (const v of values.filter(Boolean).map((x) => Buffer.from(x))) {
    for (let i = bytes.indexOf(v); i !== -1; i = bytes.indexOf(v, i + 1)) hits.push([i, i + v.length])
  }
  hits.sort((a, b) => a[0] - b[0])
  const out: Buffer[] = []
  let at = 0
  let end = -1
  for (const [s, e] of hits) {
    if (s <= end) {
      end = Math.max(end, e)
      continue
    }
    if (end >= 0) at = end
    out.push(bytes.subarray(at, s), Buffer.from('***'))
    end = e
  }
  out.push(bytes.subarray(end >= 0 ? end : at))
  return Buffer.concat(out).toString()
}
