/**
 * An insertion-ordered map for the keys of one secret (most have one to three). A `Map` costs about
 * 250 bytes for one entry (its hash table starts with room for several); with a map per secret in
 * the resolved values and another in the plan's fingerprints, those tables were 49 MiB of a move of
 * 100,000 secrets (docs/performance.md). This keeps the entries in one flat array and finds a key by
 * scanning it, indexing the keys in a `Map` only when there are many.
 */
const INDEX_FROM = 24

export class FewKeysMap<V> implements ReadonlyMap<string, V> {
  /** key, value, key, value, … in insertion order. */
  readonly #flat: unknown[] = []
  #index: Map<string, number> | undefined

  static from<V>(entries: Iterable<readonly [string, V]>): FewKeysMap<V> {
    const map = new FewKeysMap<V>()
    for (const [key, value] of entries) map.set(key, value)
    return map
  }

  get size(): number {
    return this.#flat.length / 2
  }

  /** Sets a key's value (an existing key keeps its place, as in a Map). */
  set(key: string, value: V): this {
    const at = this.#find(key)
    if (at >= 0) this.#flat[at + 1] = value
    else {
      this.#index?.set(key, this.#flat.length)
      this.#flat.push(key, value)
      if (!this.#index && this.#flat.length / 2 > INDEX_FROM) this.#index = new Map(this.#pairs().map(([k], i) => [k, i * 2]))
    }
    return this
  }

  get(key: string): V | undefined {
    const at = this.#find(key)
    return at >= 0 ? (this.#flat[at + 1] as V) : undefined
  }

  has(key: string): boolean {
    return this.#find(key) >= 0
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.#pairs()) callback.call(thisArg, value, key, this)
  }

  *entries(): MapIterator<[string, V]> {
    yield* this.#pairs()
  }

  *keys(): MapIterator<string> {
    for (let i = 0; i < this.#flat.length; i += 2) yield this.#flat[i] as string
  }

  *values(): MapIterator<V> {
    for (let i = 1; i < this.#flat.length; i += 2) yield this.#flat[i] as V
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries()
  }

  #pairs(): Array<[string, V]> {
    const out: Array<[string, V]> = []
    for (let i = 0; i < this.#flat.length; i += 2) out.push([this.#flat[i] as string, this.#flat[i + 1] as V])
    return out
  }

  /** The key's position in #flat, or -1. */
  #find(key: string): number {
    if (this.#index) return this.#index.get(key) ?? -1
    for (let i = 0; i < this.#flat.length; i += 2) if (this.#flat[i] === key) return i
    return -1
  }
}
