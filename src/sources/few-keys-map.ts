/**
 * An insertion-ordered map for the keys of one secret (most have one to three). A `Map` costs about
 * 200 bytes for one entry (its hash table starts with room for several); with a map per secret in
 * the resolved values and another in the plan's fingerprints, those tables were 49 MiB of a move of
 * 100,000 secrets (docs/performance.md). This keeps the entries in one flat array of exactly their
 * size (an array grown by `push` reserves room for 17) and finds a key by scanning it; past a few
 * dozen keys it holds a `Map` instead.
 */
const INDEX_FROM = 24
const EMPTY: unknown[] = []

export class FewKeysMap<V> implements ReadonlyMap<string, V> {
  /** key, value, key, value, … in insertion order; replaced by `#map` past INDEX_FROM keys. */
  #flat: unknown[] = EMPTY
  #map: Map<string, V> | undefined

  static from<V>(entries: Iterable<readonly [string, V]>): FewKeysMap<V> {
    const map = new FewKeysMap<V>()
    for (const [key, value] of entries) map.set(key, value)
    return map
  }

  get size(): number {
    return this.#map ? this.#map.size : this.#flat.length / 2
  }

  /** Sets a key's value (an existing key keeps its place, as in a Map). */
  set(key: string, value: V): this {
    if (this.#map) {
      this.#map.set(key, value)
      return this
    }
    const at = this.#find(key)
    if (at >= 0) this.#flat[at + 1] = value
    else if (this.#flat.length / 2 < INDEX_FROM)
      this.#flat = this.#flat.concat(key, value) // exactly its size
    else {
      this.#map = new Map(this.#pairs())
      this.#map.set(key, value)
      this.#flat = EMPTY
    }
    return this
  }

  get(key: string): V | undefined {
    if (this.#map) return this.#map.get(key)
    const at = this.#find(key)
    return at >= 0 ? (this.#flat[at + 1] as V) : undefined
  }

  has(key: string): boolean {
    return this.#map ? this.#map.has(key) : this.#find(key) >= 0
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    if (this.#map) for (const [key, value] of this.#map) callback.call(thisArg, value, key, this)
    else for (let i = 0; i < this.#flat.length; i += 2) callback.call(thisArg, this.#flat[i + 1] as V, this.#flat[i] as string, this)
  }

  // Iterators over an array of the entries, not generators: a plan and an apply iterate each secret's keys
  // several times, and a generator (with one delegating to another) was ~10 % of a move's allocations.
  entries(): MapIterator<[string, V]> {
    return this.#map ? this.#map.entries() : this.#pairs().values()
  }

  keys(): MapIterator<string> {
    return this.#map ? this.#map.keys() : (this.#every(0) as string[]).values()
  }

  values(): MapIterator<V> {
    return this.#map ? this.#map.values() : (this.#every(1) as V[]).values()
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries()
  }

  #pairs(): Array<[string, V]> {
    const out: Array<[string, V]> = []
    for (let i = 0; i < this.#flat.length; i += 2) out.push([this.#flat[i] as string, this.#flat[i + 1] as V])
    return out
  }

  /** Every key (from 0) or every value (from 1) of #flat. */
  #every(from: 0 | 1): unknown[] {
    const out: unknown[] = []
    for (let i = from; i < this.#flat.length; i += 2) out.push(this.#flat[i])
    return out
  }

  /** The key's position in #flat, or -1. */
  #find(key: string): number {
    for (let i = 0; i < this.#flat.length; i += 2) if (this.#flat[i] === key) return i
    return -1
  }
}
