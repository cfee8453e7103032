/**
 * The candidate filter of a worker thread (scan-worker.ts): the lengths and the length-and-tag
 * pairs the index recorded, and nothing else (no fingerprint, no secret or key name). A candidate
 * that passes both is kept, its bytes copied, for the main thread to fingerprint; the worker
 * itself reports no finding.
 */
import type {CandidateFilter, FilterData, Needle} from './scan-index.js'
import {tagOf} from './scan-marks.js'

export interface Candidate {
  /** Offset in the text it was cut from. */
  offset: number
  bytes: Uint8Array
}

export class TagFilter implements CandidateFilter {
  readonly lengthOk: Uint8Array
  readonly minLength: number
  readonly maxLength: number
  readonly minSolid: number
  readonly minSpaced: number
  /** The candidates kept since the last take(). */
  private kept: Candidate[] = []
  private readonly ids: Set<number>
  private readonly seed: number

  constructor(data: FilterData) {
    this.lengthOk = data.lengthOk
    this.minLength = data.minLength
    this.maxLength = data.maxLength
    this.minSolid = data.minSolid
    this.minSpaced = data.minSpaced
    this.seed = data.seed
    this.ids = new Set(data.ids)
  }

  match(bytes: Uint8Array, start: number, end: number): Needle[] | undefined {
    // A copy (a Buffer's slice() is a view, and the buffer is reused for the next file).
    if (this.ids.has((end - start) * 0x10000 + tagOf(this.seed, bytes, start, end)))
      this.kept.push({offset: start, bytes: new Uint8Array(bytes.subarray(start, end))})
    return undefined
  }

  /** The candidates kept, emptied. */
  take(): Candidate[] {
    const kept = this.kept
    this.kept = []
    return kept
  }
}
