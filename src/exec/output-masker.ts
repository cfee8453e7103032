/**
 * Masks injected values in a child's output as it streams, like `op run`: every occurrence of any
 * value becomes `***`. Works on bytes, so a value split across chunks, even inside a multi-byte
 * UTF-8 character, is still found; overlapping occurrences (of one value or of several) become
 * one `***`. Only a tail that could still be the start of a value is held back (at most the
 * longest value's length − 1 bytes), so output that cannot be part of a value is never delayed.
 */

const MASK = Buffer.from('***')

export class OutputMasker {
  private readonly values: Buffer[]
  /** Bytes seen but not yet passed on: a possible start of a value. */
  private pending = Buffer.alloc(0)
  /** Leading bytes of `pending` already covered by a `***` passed on (a value straddled the last cut). */
  private covered = 0
  /** The bytes passed on so far end with a `***`: a value right at the start of `pending` joins it. */
  private maskedToCut = false

  constructor(values: Iterable<string>) {
    // Longest first, empty ones dropped (an empty value cannot be found).
    this.values = [...new Set(values)]
      .filter((v) => v.length > 0)
      .map((v) => Buffer.from(v, 'utf8'))
      .sort((a, b) => b.length - a.length)
  }

  /** The masked bytes that can be passed on now. */
  push(chunk: Buffer): Buffer {
    return this.process(Buffer.concat([this.pending, chunk]), false)
  }

  /** The rest, at the end of the stream. */
  end(): Buffer {
    return this.process(this.pending, true)
  }

  private process(buf: Buffer, final: boolean): Buffer {
    const intervals = this.matches(buf)
    // Every match starting before `cut` ends inside `buf`: what follows `cut` could still begin a value.
    // Bytes already masked stay pending while they could begin a value: a later overlapping one continues the mask.
    const cut = final ? buf.length : buf.length - this.partialSuffix(buf)
    const out: Buffer[] = []
    let at = 0
    let covered = 0
    let maskedToCut = this.maskedToCut && cut === 0
    for (const [start, end] of intervals) {
      // The interval that begins in the bytes already masked (or right after them) continues that `***`.
      const continues = start === 0 && (this.covered > 0 || this.maskedToCut)
      if (start >= cut && !continues) break
      if (start > at) out.push(buf.subarray(at, start))
      if (!continues) out.push(MASK)
      at = Math.max(at, Math.min(end, cut))
      if (end > cut) covered = end - cut
      maskedToCut = end >= cut
    }
    if (at < cut) out.push(buf.subarray(at, cut))
    this.pending = Buffer.from(buf.subarray(cut))
    this.covered = covered
    this.maskedToCut = maskedToCut
    return Buffer.concat(out)
  }

  /** Every occurrence of every value, and the bytes already covered, merged into sorted disjoint intervals (touching ones joined). */
  private matches(buf: Buffer): [number, number][] {
    const found: [number, number][] = this.covered > 0 ? [[0, this.covered]] : []
    for (const v of this.values) {
      for (let i = buf.indexOf(v); i !== -1; i = buf.indexOf(v, i + 1)) found.push([i, i + v.length])
    }
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1])
    const merged: [number, number][] = []
    for (const [s, e] of found) {
      const last = merged[merged.length - 1]
      if (last && s <= last[1]) last[1] = Math.max(last[1], e)
      else merged.push([s, e])
    }
    return merged
  }

  /** The length of the longest end of `buf` that is the start (not the whole) of some value. */
  private partialSuffix(buf: Buffer): number {
    let longest = 0
    for (const v of this.values) {
      const from = Math.max(0, buf.length - (v.length - 1))
      for (let i = buf.indexOf(v[0] as number, from); i !== -1 && buf.length - i > longest; i = buf.indexOf(v[0] as number, i + 1)) {
        const k = buf.length - i
        if (buf.compare(v, 0, k, i, buf.length) === 0) {
          longest = k
          break
        }
      }
    }
    return longest
  }
}
