/**
 * What `secretctl scan` looks for, built from the state's key records and never holding a value:
 * per recorded text (a whole value, or a line of a multi-line value), its length, its 16-bit tag
 * and its fingerprint. A candidate is checked in three steps, each much rarer than the one before:
 * its length (an array lookup; most candidates end here), its tag (a fast keyed hash), then the
 * HMAC fingerprint for each key whose text has that length and tag. Keys recorded before scan
 * needles existed have no length to filter on: every candidate long enough is fingerprinted for
 * them, which is correct but slow (the result says how many there are; the next write of their
 * values records needles).
 */
import type {SecretRecord} from '../state/types.js'
import type {CandidateMatcher} from './candidate-tokens.js'
import {SCAN_MIN_LENGTH, tagOf} from './scan-marks.js'

/** One recorded text: whose it is, and its fingerprint. */
export interface Needle {
  secret: string
  key: string
  fingerprint: string
  /** For a line of a multi-line value: its number in the value. */
  line?: number
}

export interface IndexCounts {
  /** Keys looked for. */
  keys: number
  /** Keys whose values are too short or plain words: not looked for. */
  notScanned: number
  /** Keys recorded before scan needles existed: looked for the slow way. */
  unmarked: number
}

export class ScanIndex implements CandidateMatcher<Needle[]> {
  /** lengthOk[n] is 1 when some recorded text is n bytes long. */
  readonly lengthOk: Uint8Array
  readonly minLength: number
  readonly maxLength: number
  /** The shortest recorded text without a blank inside: no shorter run of non-blank bytes needs a look. */
  readonly minSolid: number
  /** The shortest recorded text with a blank inside, or Infinity when there is none (whole lines are then never looked at). */
  readonly minSpaced: number
  readonly counts: IndexCounts
  private readonly buckets = new Map<number, Needle[]>()
  private readonly unmarked: Needle[] = []
  private readonly keysOfUnmarked: string[]

  constructor(
    secrets: SecretRecord[],
    private readonly seed: number,
    private readonly fingerprint: (key: string, bytes: Uint8Array) => string,
  ) {
    let min = Number.POSITIVE_INFINITY
    let max = 0
    let minSolid = Number.POSITIVE_INFINITY
    let minSpaced = Number.POSITIVE_INFINITY
    const counts: IndexCounts = {keys: 0, notScanned: 0, unmarked: 0}
    for (const s of secrets) {
      for (const [key, record] of Object.entries(s.keys)) {
        if (!record.scan) {
          counts.unmarked++
          this.unmarked.push({secret: s.name, key, fingerprint: record.fingerprint})
          continue
        }
        if (!record.scan.length) counts.notScanned++
        else counts.keys++
        for (const n of record.scan) {
          const needle: Needle = {secret: s.name, key, fingerprint: n.fingerprint ?? record.fingerprint, ...(n.line ? {line: n.line} : {})}
          const id = bucketOf(n.length, n.tag)
          const bucket = this.buckets.get(id)
          if (bucket) bucket.push(needle)
          else this.buckets.set(id, [needle])
          min = Math.min(min, n.length)
          max = Math.max(max, n.length)
          if (n.spaced) minSpaced = Math.min(minSpaced, n.length)
          else minSolid = Math.min(minSolid, n.length)
        }
      }
    }
    if (this.unmarked.length) {
      min = Math.min(min, SCAN_MIN_LENGTH)
      minSolid = Math.min(minSolid, SCAN_MIN_LENGTH)
      minSpaced = Math.min(minSpaced, SCAN_MIN_LENGTH)
      // No length to go by: as long as a value may be (a Kubernetes Secret holds at most 1 MiB).
      max = Math.max(max, 1024 * 1024)
    }
    this.minLength = Number.isFinite(min) ? min : 1
    this.maxLength = max
    this.minSolid = Number.isFinite(minSolid) ? minSolid : max + 1
    this.minSpaced = minSpaced
    this.lengthOk = new Uint8Array(max + 1)
    for (const id of this.buckets.keys()) this.lengthOk[Math.floor(id / 0x10000)] = 1
    if (this.unmarked.length) this.lengthOk.fill(1, SCAN_MIN_LENGTH)
    this.counts = counts
    this.keysOfUnmarked = [...new Set(this.unmarked.map((n) => n.key))]
  }

  /** Whether there is anything to look for. */
  get empty(): boolean {
    return this.buckets.size === 0 && this.unmarked.length === 0
  }

  /**
   * What a scanning thread needs to pass on the candidates worth the index's check (lengths, tags;
   * no fingerprint), as data a worker receives; undefined when keys recorded before scan needles
   * exist (every candidate would pass).
   */
  tagFilter(): TagFilterData | undefined {
    if (this.unmarked.length) return undefined
    const {lengthOk, minLength, maxLength, minSolid, minSpaced} = this
    return {lengthOk, minLength, maxLength, minSolid, minSpaced, seed: this.seed, buckets: [...this.buckets.keys()]}
  }

  /** The recorded texts bytes[start, end) is, if any (the caller has checked its length against lengthOk). */
  match(bytes: Uint8Array, start: number, end: number): Needle[] | undefined {
    const length = end - start
    let found: Needle[] | undefined
    const bucket = this.buckets.get(bucketOf(length, tagOf(this.seed, bytes, start, end)))
    if (bucket) found = this.check(bucket, bytes.subarray(start, end))
    if (this.unmarked.length && length >= SCAN_MIN_LENGTH) {
      const slow = this.check(this.unmarked, bytes.subarray(start, end), this.keysOfUnmarked)
      if (slow) found = [...(found ?? []), ...slow]
    }
    return found
  }

  /** The needles among these whose fingerprint is the candidate's: one HMAC per key, whatever the number of needles. */
  private check(needles: Needle[], candidate: Uint8Array, keys?: string[]): Needle[] | undefined {
    const found: Needle[] = []
    const byKey = new Map<string, string>()
    for (const key of keys ?? []) byKey.set(key, this.fingerprint(key, candidate))
    for (const n of needles) {
      let fp = byKey.get(n.key)
      if (fp === undefined) {
        fp = this.fingerprint(n.key, candidate)
        byKey.set(n.key, fp)
      }
      if (fp === n.fingerprint) found.push(n)
    }
    return found.length ? found : undefined
  }
}

/** A recorded text's length and tag as one number (lengths are under 2^36, tags 16 bits). */
function bucketOf(length: number, tag: number): number {
  return length * 0x10000 + tag
}

export interface TagFilterData {
  lengthOk: Uint8Array
  minLength: number
  maxLength: number
  minSolid: number
  minSpaced: number
  seed: number
  buckets: number[]
}

/**
 * The index's first two steps (length, tag) without its fingerprints: a candidate that passes is
 * answered with a copy of its bytes, which the index then checks (ScanIndex#match). The copies
 * never leave the process.
 */
export class TagFilter implements CandidateMatcher<Uint8Array> {
  readonly lengthOk: Uint8Array
  readonly minLength: number
  readonly maxLength: number
  readonly minSolid: number
  readonly minSpaced: number
  private readonly seed: number
  private readonly buckets: Set<number>

  constructor(data: TagFilterData) {
    this.lengthOk = data.lengthOk
    this.minLength = data.minLength
    this.maxLength = data.maxLength
    this.minSolid = data.minSolid
    this.minSpaced = data.minSpaced
    this.seed = data.seed
    this.buckets = new Set(data.buckets)
  }

  /** A copy (the scanned buffer is reused for the next file; a Buffer's `slice` would be a view of it). */
  match(bytes: Uint8Array, start: number, end: number): Uint8Array | undefined {
    return this.buckets.has(bucketOf(end - start, tagOf(this.seed, bytes, start, end)))
      ? new Uint8Array(bytes.subarray(start, end))
      : undefined
  }
}
