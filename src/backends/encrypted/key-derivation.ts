/**
 * The encryption key of an encrypted store, derived from its password with Argon2id. The cost
 * parameters and the salt are stored with the data (a KdfSpec), so a store written today opens
 * after the defaults are raised, and `backend rekey` raises them for an existing store.
 *
 * Defaults: RFC 9106 section 4's second recommended option, t=3, m=64 MiB, p=4: 3.4 times the
 * memory of OWASP's current minimum (m=19 MiB, t=2, p=1, which ToolHive uses). Measured on the
 * 2-CPU development machine: about 0.3-0.4 s per derivation with hash-wasm, paid once per run
 * (the key cache below); ToolHive's parameters take 60-85 ms.
 *
 * Library: hash-wasm (WASM: no install script, no native code). Native `argon2` is 1.5-2x faster
 * but its current prebuilt binaries crash Node 20 on load; the measurements are in the commit
 * that added the dependency.
 */
import {createHmac, createSecretKey, type KeyObject, randomBytes} from 'node:crypto'
import {CorruptStoreError} from './encrypted-errors.js'

/** Argon2id cost: passes over memory, memory in KiB, lanes. */
export interface Argon2idParams {
  timeCost: number
  memoryKiB: number
  parallelism: number
}

/** Everything needed to derive a store's key again, except the password: stored with the data, JSON as is. */
export interface KdfSpec extends Argon2idParams {
  algorithm: 'argon2id'
  /** Argon2 version 0x13, the only one in use; recorded so the stored form says it. */
  version: 19
  /** Base64 of the random salt (16 bytes when written by secretctl). */
  salt: string
}

/** RFC 9106's second recommended option (memory-constrained): t=3, m=64 MiB, p=4. */
export const DEFAULT_ARGON2ID: Readonly<Argon2idParams> = Object.freeze({timeCost: 3, memoryKiB: 65_536, parallelism: 4})

/** OWASP's minimum and ToolHive's format version 1 (stacklok/toolhive pkg/secrets/kdf.go). */
export const TOOLHIVE_ARGON2ID: Readonly<Argon2idParams> = Object.freeze({timeCost: 2, memoryKiB: 19_456, parallelism: 1})

export const KEY_BYTES = 32
export const SALT_BYTES = 16

/**
 * What a stored spec may ask for. The spec comes from a file or a row that anyone with write
 * access can change, so its memory request is bounded (1 GiB) before anything is allocated.
 */
const LIMITS = {timeCost: [1, 64], parallelism: [1, 64], memoryKiB: [8, 1_048_576], saltBytes: [8, 64]} as const

/** A fresh spec with a new random salt: for a new store and for every rekey. */
export function newKdfSpec(params: Argon2idParams = DEFAULT_ARGON2ID): KdfSpec {
  const spec: KdfSpec = {algorithm: 'argon2id', version: 19, ...pickParams(params), salt: randomBytes(SALT_BYTES).toString('base64')}
  return parseKdfSpec(spec, '(new)')
}

/**
 * True when the parameters are at least as costly as one of OWASP's equivalent Argon2id
 * settings (m=47104 t=1 ... m=7168 t=5, p=1), i.e. memory x passes >= 7168 x 5 KiB and m >= 7 MiB.
 * A store below it still opens; the caller can suggest `backend rekey`.
 */
export function meetsOwaspMinimum(p: Argon2idParams): boolean {
  return p.memoryKiB >= 7_168 && p.memoryKiB * p.timeCost >= 7_168 * 5
}

/**
 * Checks a stored spec (from a file or a row) and returns it typed; anything off is a
 * CorruptStoreError naming the field, prefixed by `where` (e.g. `store file /x/secrets.json: `).
 */
export function parseKdfSpec(value: unknown, backend: string, where = ''): KdfSpec {
  const bad = (field: string, why: string) =>
    new CorruptStoreError(backend, `${where}the key derivation settings are invalid: ${field} ${why}`)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('kdf', 'is not an object')
  const v = value as Record<string, unknown>
  if (v.algorithm !== 'argon2id') {
    throw new CorruptStoreError(backend, `${where}the store's key derivation (kdf.algorithm) is not argon2id`, 'upgrade secretctl')
  }
  if (v.version !== 19) throw bad('kdf.version', 'is not 19 (Argon2 version 0x13)')
  for (const field of ['timeCost', 'memoryKiB', 'parallelism'] as const) {
    const n = v[field]
    const [lo, hi] = LIMITS[field]
    if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi)
      throw bad(`kdf.${field}`, `is not an integer from ${lo} to ${hi}`)
  }
  if ((v.memoryKiB as number) < 8 * (v.parallelism as number)) throw bad('kdf.memoryKiB', 'is less than 8 KiB per lane')
  const salt = typeof v.salt === 'string' ? decodeBase64(v.salt) : undefined
  if (!salt || salt.length < LIMITS.saltBytes[0] || salt.length > LIMITS.saltBytes[1]) {
    throw bad('kdf.salt', `is not base64 of ${LIMITS.saltBytes[0]} to ${LIMITS.saltBytes[1]} bytes`)
  }
  return {
    algorithm: 'argon2id',
    version: 19,
    timeCost: v.timeCost as number,
    memoryKiB: v.memoryKiB as number,
    parallelism: v.parallelism as number,
    salt: v.salt as string,
  }
}

/** Strict base64 (the alphabet, padding only at the end, length a multiple of 4); undefined otherwise. */
export function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined
  return Buffer.from(text, 'base64')
}

/**
 * One Argon2id derivation, uncached: a 32-byte AES key as a KeyObject (immutable; printing it
 * shows no bytes). The password is UTF-8 encoded as given, without normalisation.
 */
export async function deriveKey(password: string | Uint8Array, spec: KdfSpec): Promise<KeyObject> {
  // Loaded with the first derivation: a run with no encrypted backend does not load the WASM module.
  const {argon2id} = await import('hash-wasm')
  const raw = await argon2id({
    password,
    salt: Buffer.from(spec.salt, 'base64'),
    iterations: spec.timeCost,
    memorySize: spec.memoryKiB,
    parallelism: spec.parallelism,
    hashLength: KEY_BYTES,
    outputType: 'binary',
  })
  const key = createSecretKey(raw)
  raw.fill(0)
  return key
}

/**
 * Derived keys for the run, so Argon2id's cost is paid once per store and password, not per value.
 * An entry is keyed by the spec (params + salt) and by an HMAC of the password under a random key
 * that lives only in this object: a second password for the same store derives its own key (a
 * retry after a wrong password works), and the cache never holds the password. A derivation in
 * progress is shared by concurrent callers. A few entries suffice: a run opens a handful of stores.
 */
export class DerivedKeyCache {
  readonly #tagKey = randomBytes(32)
  readonly #entries = new Map<string, Promise<KeyObject>>()
  readonly #maxEntries: number
  /** Derivations actually run (for tests and the benchmark). */
  derivations = 0

  constructor(maxEntries = 8) {
    this.#maxEntries = maxEntries
  }

  async derive(password: string | Uint8Array, spec: KdfSpec): Promise<KeyObject> {
    const tag = createHmac('sha256', this.#tagKey).update(password).digest('base64')
    const id = `${spec.algorithm}:${spec.version}:${spec.timeCost}:${spec.memoryKiB}:${spec.parallelism}:${spec.salt}:${tag}`
    const hit = this.#entries.get(id)
    if (hit) {
      // Most recently used goes last, so eviction takes the oldest.
      this.#entries.delete(id)
      this.#entries.set(id, hit)
      return hit
    }
    this.derivations++
    const pending = deriveKey(password, spec)
    this.#entries.set(id, pending)
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
    try {
      return await pending
    } catch (err) {
      this.#entries.delete(id)
      throw err
    }
  }

  /** Forget every key (end of run, or after a rekey). */
  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }
}

/** The process's cache: one CLI run is one process. */
export const runKeyCache = new DerivedKeyCache()

function pickParams(p: Argon2idParams): Argon2idParams {
  return {timeCost: p.timeCost, memoryKiB: p.memoryKiB, parallelism: p.parallelism}
}
