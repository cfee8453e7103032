/**
 * Texts kept as UTF-8 outside the JavaScript heap, each read back by its number: what a large apply
 * holds but rarely reads (the plan's source fingerprints, the values not yet written). On the heap
 * such data costs several times its size in peak RSS, because V8 lets the heap grow to up to four
 * times what is live after a full collection (collect-garbage.ts); a Buffer costs its size. Texts
 * are appended to Buffers of a mebibyte (a longer text gets one of its own), so that building the
 * store leaves no large string or array behind on the heap either (docs/performance.md, peak RSS at
 * 100,000).
 */

const CHUNK = 1 << 20

export class OffHeapTexts {
  readonly #chunks: Buffer[] = []
  /** Bytes not yet used at the end of the last chunk. */
  #free = 0
  /** Per text: its chunk, its first byte, the byte after its last. */
  #places = new Uint32Array(3 * 1024)
  #count = 0

  get count(): number {
    return this.#count
  }

  /** Appends a text; returns its number (0, 1, 2, … in order). */
  add(text: string): number {
    const bytes = Buffer.byteLength(text)
    if (bytes > this.#free) {
      const size = Math.max(CHUNK, bytes)
      this.#chunks.push(Buffer.alloc(size))
      this.#free = size
    }
    const chunk = this.#chunks.length - 1
    const buffer = this.#chunks[chunk] as Buffer
    const start = buffer.length - this.#free
    buffer.write(text, start)
    this.#free -= bytes
    if (3 * this.#count + 3 > this.#places.length) {
      const grown = new Uint32Array(this.#places.length * 2)
      grown.set(this.#places)
      this.#places = grown
    }
    const at = 3 * this.#count
    this.#places[at] = chunk
    this.#places[at + 1] = start
    this.#places[at + 2] = start + bytes
    return this.#count++
  }

  /** The text number `n`. */
  get(n: number): string {
    const [chunk, start, end] = this.#place(n)
    return (this.#chunks[chunk] as Buffer).toString('utf8', start, end)
  }

  /** Overwrites the text number `n` with zeros (reading it afterwards gives NUL characters). */
  erase(n: number): void {
    const [chunk, start, end] = this.#place(n)
    ;(this.#chunks[chunk] as Buffer).fill(0, start, end)
  }

  #place(n: number): [number, number, number] {
    if (!(n >= 0 && n < this.#count)) throw new RangeError(`no text number ${n}`)
    return [this.#places[3 * n] as number, this.#places[3 * n + 1] as number, this.#places[3 * n + 2] as number]
  }
}
