/**
 * The encrypted store as plain data, the same for both storage variants: a header (the KDF spec
 * and the key check: what opens the store) and the envelopes, secret -> key -> envelope. The file
 * variant writes the whole document as one JSON file (file-store.ts); the state-database variant
 * can keep the header with the backend and each secret's envelopes in its row. Everything here is
 * pure except the key derivation, so the driver decides where and in which transaction to write.
 */
import type {SecretValues} from '../../state/types.js'
import {CorruptStoreError} from './encrypted-errors.js'
import {
  type Argon2idParams,
  DEFAULT_ARGON2ID,
  type DerivedKeyCache,
  type KdfSpec,
  newKdfSpec,
  parseKdfSpec,
  runKeyCache,
} from './key-derivation.js'
import {ValueCipher} from './value-cipher.js'

export const STORE_FORMAT = 'secretctl-encrypted-store'
export const STORE_VERSION = 1

/** What opens a store: stored with the data, never secret (salt and parameters are public by design). */
export interface StoreHeader {
  kdf: KdfSpec
  keyCheck: string
}

/** secret name -> key name -> envelope (value-cipher.ts). */
export type EnvelopeMap = Record<string, Record<string, string>>

/** The whole store, as the file variant writes it. */
export interface StoreDocument extends StoreHeader {
  format: typeof STORE_FORMAT
  version: typeof STORE_VERSION
  secrets: EnvelopeMap
  /**
   * secret name → how many times it was written (1 after the first write): the version the file
   * variant reports for drift. Not authenticated: it tells secretctl's own writers apart (another
   * state writing the same file, a restored backup), not an attacker (docs/providers.md).
   */
  versions: Record<string, number>
}

export interface HeaderOptions {
  /** Argon2id cost for the new key; default DEFAULT_ARGON2ID. */
  params?: Argon2idParams
  cache?: DerivedKeyCache
}

/** A new header for a password (new salt, the given cost) and the cipher of its key: for a new store and for a rekey. */
export async function createStoreHeader(
  backend: string,
  password: string,
  opts: HeaderOptions = {},
): Promise<{header: StoreHeader; cipher: ValueCipher}> {
  const kdf = newKdfSpec(opts.params ?? DEFAULT_ARGON2ID)
  const cipher = new ValueCipher(backend, await (opts.cache ?? runKeyCache).derive(password, kdf))
  return {header: {kdf, keyCheck: cipher.keyCheck()}, cipher}
}

/**
 * The cipher that reads and writes a store, once its key check opens under the password's key:
 * WrongPasswordError otherwise (CorruptStoreError for a header that is not one). The key is
 * derived once per run (the cache).
 */
export async function unlockStore(
  header: StoreHeader,
  password: string,
  backend: string,
  cache: DerivedKeyCache = runKeyCache,
): Promise<ValueCipher> {
  const cipher = new ValueCipher(backend, await cache.derive(password, header.kdf))
  cipher.verifyKeyCheck(header.keyCheck)
  return cipher
}

/** A store with no secrets yet. */
export function emptyStoreDocument(header: StoreHeader): StoreDocument {
  return {format: STORE_FORMAT, version: STORE_VERSION, kdf: header.kdf, keyCheck: header.keyCheck, secrets: {}, versions: {}}
}

/** The header of a document (or of a state row), checked. `where` prefixes messages, e.g. `store file F: `. */
export function parseStoreHeader(value: unknown, backend: string, where = ''): StoreHeader {
  if (!isObject(value)) throw new CorruptStoreError(backend, `${where}the store header is not an object`)
  const kdf = parseKdfSpec(value.kdf, backend, where)
  if (typeof value.keyCheck !== 'string' || value.keyCheck === '') throw new CorruptStoreError(backend, `${where}keyCheck is missing`)
  return {kdf, keyCheck: value.keyCheck}
}

/**
 * A whole document (parsed JSON), checked for shape: format and version, header, and secrets as
 * objects of strings. Envelopes are checked when opened, so one altered value names itself then.
 */
export function parseStoreDocument(value: unknown, backend: string, where = ''): StoreDocument {
  if (!isObject(value)) throw new CorruptStoreError(backend, `${where}not a secretctl encrypted store (not a JSON object)`)
  if (value.format !== STORE_FORMAT)
    throw new CorruptStoreError(backend, `${where}not a secretctl encrypted store (format is not ${STORE_FORMAT})`)
  if (value.version !== STORE_VERSION) {
    const newer = typeof value.version === 'number' && value.version > STORE_VERSION
    throw new CorruptStoreError(
      backend,
      `${where}${newer ? `store format version ${value.version} is newer than this secretctl reads (${STORE_VERSION})` : 'store format version is invalid'}`,
      newer ? 'upgrade secretctl' : undefined,
    )
  }
  const header = parseStoreHeader(value, backend, where)
  if (!isObject(value.secrets)) throw new CorruptStoreError(backend, `${where}secrets is not an object`)
  const secrets: EnvelopeMap = Object.fromEntries(
    Object.entries(value.secrets).map(([name, keys]) => {
      if (!isObject(keys)) throw new CorruptStoreError(backend, `${where}secrets.${name} is not an object`)
      for (const [key, envelope] of Object.entries(keys)) {
        if (typeof envelope !== 'string') throw new CorruptStoreError(backend, `${where}secrets.${name}.${key} is not a string`)
      }
      return [name, {...(keys as Record<string, string>)}]
    }),
  )
  return {
    format: STORE_FORMAT,
    version: STORE_VERSION,
    ...header,
    secrets,
    versions: parseVersions(value.versions, secrets, backend, where),
  }
}

/** `versions` (optional in the file): a positive integer per secret; entries of secrets not in the store are dropped. */
function parseVersions(value: unknown, secrets: EnvelopeMap, backend: string, where: string): Record<string, number> {
  if (value === undefined) return {}
  if (!isObject(value)) throw new CorruptStoreError(backend, `${where}versions is not an object`)
  const out: Record<string, number> = {}
  for (const [name, n] of Object.entries(value)) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
      throw new CorruptStoreError(backend, `${where}versions.${name} is not a positive integer`)
    if (Object.hasOwn(secrets, name)) Object.assign(out, Object.fromEntries([[name, n]]))
  }
  return out
}

/** The write counter of a secret in the store: 0 when it has none (it is not there, or a file written without counters). */
export function secretVersion(doc: StoreDocument, secret: string): number {
  return Object.hasOwn(doc.versions, secret) ? doc.versions[secret]! : 0
}

/**
 * Changes to a document made on one copy of its maps, taken when the edit starts: a group of n
 * changes to a store of N secrets costs N + n, where a new document at each change cost N each (an
 * apply creating 10,000 secrets in one file spent two thirds of its time copying maps). The
 * document edited from is left as it was (it may be the cache of what the file holds).
 */
export class StoreEdit {
  readonly doc: StoreDocument

  constructor(from: StoreDocument) {
    // Spread defines properties: a secret called `__proto__` stays an ordinary entry.
    this.doc = {...from, secrets: {...from.secrets}, versions: {...from.versions}}
  }

  /** One secret's values sealed in (replacing all its keys), its write counter one up. */
  put(cipher: ValueCipher, secret: string, values: SecretValues): void {
    defineEntry(this.doc.secrets, secret, cipher.sealSecret(secret, values))
    defineEntry(this.doc.versions, secret, secretVersion(this.doc, secret) + 1)
  }

  /** One secret taken out; false when the store has none of that name. */
  remove(secret: string): boolean {
    if (!Object.hasOwn(this.doc.secrets, secret)) return false
    delete this.doc.secrets[secret]
    delete this.doc.versions[secret]
    return true
  }
}

/** An entry set as an own property, whatever its name (assignment to `__proto__` would set the prototype). */
function defineEntry<T>(map: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(map, name, {value, writable: true, enumerable: true, configurable: true})
}

/** The document with one secret's values sealed in (replacing all its keys), its write counter one up. */
export function putSecret(doc: StoreDocument, cipher: ValueCipher, secret: string, values: SecretValues): StoreDocument {
  const edit = new StoreEdit(doc)
  edit.put(cipher, secret, values)
  return edit.doc
}

/** The document without one secret (unchanged when it has none). */
export function removeSecret(doc: StoreDocument, secret: string): StoreDocument {
  const edit = new StoreEdit(doc)
  return edit.remove(secret) ? edit.doc : doc
}

/** One secret's values, or undefined when the store has no such secret; an altered envelope throws CorruptValueError. */
export function readSecret(doc: StoreDocument, cipher: ValueCipher, secret: string): SecretValues | undefined {
  if (!Object.hasOwn(doc.secrets, secret)) return undefined
  return cipher.openSecret(secret, doc.secrets[secret]!)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
