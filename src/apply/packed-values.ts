/**
 * The resolved values an apply writes, held outside the JavaScript heap until their change runs. As
 * a map of maps, each value cost ~200 bytes of heap besides itself (a map entry, a per-secret map and
 * its array, a record), ~20 MiB at 100,000 secrets, all live when the migration starts, which V8's
 * heap limit multiplies (off-heap-texts.ts; docs/performance.md, peak RSS at 100,000). Here each
 * secret's sourced values are one JSON array outside the heap, found through a map of name → number,
 * read back when its change asks, and overwritten with zeros when it is done. Generated and unknown
 * values (a spec, a ciphertext's description) are kept as they are: they are few and not plain.
 */
import type {ResolvedValue, ResolvedValues} from '../sources/resolve-values.js'
import {FewKeysMap} from '../sources/few-keys-map.js'
import {OffHeapTexts} from './off-heap-texts.js'

/** What an apply asks of the values: a secret's, once, and to let go of them. A `ResolvedValues` map is one. */
export interface ApplyValues {
  get(name: string): ReadonlyMap<string, ResolvedValue> | undefined
  delete(name: string): boolean
}

/** key, source, value, cipherDigest (0: none), … for each key of a secret. */
type Packed = Array<string | 0>

export class PackedValues implements ApplyValues {
  readonly #texts = new OffHeapTexts()
  /** Secret name → the number of its text. */
  readonly #numbers = new Map<string, number>()
  /** Secrets with a value that is not plain (generated, unknown), as resolved. */
  readonly #kept = new Map<string, ReadonlyMap<string, ResolvedValue>>()

  constructor(values: ResolvedValues) {
    for (const [name, keys] of values) {
      const packed = pack(keys)
      if (packed) this.#numbers.set(name, this.#texts.add(JSON.stringify(packed)))
      else this.#kept.set(name, keys)
    }
  }

  get(name: string): ReadonlyMap<string, ResolvedValue> | undefined {
    const n = this.#numbers.get(name)
    if (n === undefined) return this.#kept.get(name)
    const packed = JSON.parse(this.#texts.get(n)) as Packed
    const keys = new FewKeysMap<ResolvedValue>()
    for (let i = 0; i < packed.length; i += 4) {
      const source = packed[i + 1] as string
      const value = packed[i + 2] as string
      const cipherDigest = packed[i + 3] as string | 0
      keys.set(packed[i] as string, cipherDigest === 0 ? {source, value} : {source, value, cipherDigest})
    }
    return keys
  }

  delete(name: string): boolean {
    const n = this.#numbers.get(name)
    if (n === undefined) return this.#kept.delete(name)
    this.#texts.erase(n)
    return this.#numbers.delete(name)
  }
}

/** The values packed; values already packed as they are. */
export function packedValues(values: ResolvedValues | ApplyValues): ApplyValues {
  return values instanceof Map ? new PackedValues(values) : values
}

/** The secret's values packed; undefined when one is not plain. */
function pack(keys: ReadonlyMap<string, ResolvedValue>): Packed | undefined {
  const packed: Packed = []
  for (const [key, rv] of keys) {
    if (rv.value === undefined || rv.spec !== undefined || rv.unknown !== undefined) return undefined
    packed.push(key, rv.source, rv.value, rv.cipherDigest ?? 0)
  }
  return packed
}
