/**
 * Where each field of a manifest document was declared, packed: one array of (dotted path, line,
 * column) per document, the paths shared by every document that has them. An object per field was
 * about 380 bytes per secret of six fields, held for the whole run: 37 MiB of a move of 100,000
 * secrets (docs/performance.md, peak RSS at 100,000). Read only to point a message at file:line.
 */
import type {SourcePosition} from '../errors.js'
import {intern} from '../intern.js'

/** Each distinct dotted path once per process: 100,000 documents have the same few. */
const PATHS = new Map<string, string>()

/** Lines below the document's first field and columns, in one number: both fit a small integer for any sane manifest. */
const COLUMNS = 65536

/** Where the positions of a file's documents come from when they are first asked for (quick-documents.ts). */
export interface DeferredPositions {
  /** The positions of the file's document number `index` (counting every document, empty ones too). */
  fieldsOf(index: number): FieldPositions
}

type Flat = ReadonlyArray<string | number | readonly [number, number]>

export class FieldPositions {
  /** No fields known (a model built in code, not read from a file). */
  static readonly none = new FieldPositions('', [0])

  /**
   * The first field's line, then path, place, path, place, …: a place is (line − that first line) ×
   * COLUMNS + column, or [line, column] for a column past COLUMNS. Undefined until asked for, for
   * the positions of a document read without them (`deferred`).
   */
  #flat: Flat | undefined
  #source: DeferredPositions | undefined
  readonly #index: number

  private constructor(
    readonly file: string,
    flat: Flat | undefined,
    source?: DeferredPositions,
    index = 0,
  ) {
    this.#flat = flat
    this.#source = source
    this.#index = index
  }

  /**
   * The positions of document number `index` of a file read without them: worked out from `source`
   * the first time one is asked for. Nearly every run asks for none: only a message points at file:line.
   */
  static deferred(file: string, source: DeferredPositions, index: number): FieldPositions {
    return new FieldPositions(file, undefined, source, index)
  }

  /** From positions in one file, in the order given. */
  static of(file: string, entries: ReadonlyArray<readonly [string, {line: number; column: number}]>): FieldPositions {
    const base = entries.reduce((min, [, at]) => Math.min(min, at.line), entries[0]?.[1].line ?? 0)
    const flat: Array<string | number | readonly [number, number]> = [base]
    for (const [path, {line, column}] of entries) {
      flat.push(intern(PATHS, path), column < COLUMNS ? (line - base) * COLUMNS + column : [line, column])
    }
    return new FieldPositions(file, flat.slice()) // slice: exactly its size (a pushed array keeps room to grow)
  }

  get(path: string): SourcePosition | undefined {
    if (!this.#flat) {
      this.#flat = (this.#source as DeferredPositions).fieldsOf(this.#index).#flat ?? [0]
      this.#source = undefined
    }
    const flat = this.#flat
    for (let i = 1; i < flat.length; i += 2) {
      if (flat[i] !== path) continue
      const place = flat[i + 1] as number | readonly [number, number]
      if (typeof place !== 'number') return {file: this.file, line: place[0], column: place[1]}
      return {file: this.file, line: (flat[0] as number) + Math.floor(place / COLUMNS), column: place % COLUMNS}
    }
    return undefined
  }
}
