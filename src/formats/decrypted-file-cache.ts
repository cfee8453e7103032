/**
 * Decrypt each encrypted file once per run: many secrets may name one SOPS file or one age file,
 * and each decryption costs an X25519 (or ECIES) operation and a MAC over the whole file. The
 * cache is keyed by absolute path, the kind of reading, and the SHA-256 of the file's bytes, so a
 * file that changes during the run is read again; concurrent requests share one decryption, and
 * a failure is remembered like a success (one error per file per run). The digest of the
 * ciphertext is kept beside the result: a plan without the keys can compare it instead.
 *
 * One instance per run; it holds plaintext, so it must not outlive the run or be logged.
 */
import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {inspect} from 'node:util'

export interface CachedRead<T> {
  /** SHA-256 (hex) of the file's bytes as read: the ciphertext's own digest. */
  digest: string
  value: T
}

/** How the cache reads a file's bytes; by default the file as is. A caller may enforce its own rules (src/sources/value-files.ts) and throw. */
export type ReadBytes = (absPath: string) => Buffer | Promise<Buffer>

export class DecryptedFileCache {
  readonly #entries = new Map<string, Promise<CachedRead<unknown>>>()
  readonly #read: ReadBytes
  #decryptions = 0

  constructor(read: ReadBytes = (absPath) => readFile(absPath)) {
    this.#read = read
  }

  /** How many times `decrypt` was actually called: for tests and performance checks. */
  get decryptions(): number {
    return this.#decryptions
  }

  /**
   * The result of `decrypt(bytes)` for the file at `file` (made absolute), computed once per
   * kind and content. `kind` separates readings of one file (`sops`, `age`, `dotenvx`).
   */
  async get<T>(file: string, kind: string, decrypt: (bytes: Buffer) => Promise<T>): Promise<CachedRead<T>> {
    const abs = path.resolve(file)
    const bytes = await this.#read(abs)
    const digest = createHash('sha256').update(bytes).digest('hex')
    const cacheKey = `${kind}\0${abs}\0${digest}`
    let entry = this.#entries.get(cacheKey)
    if (!entry) {
      this.#decryptions++
      entry = decrypt(bytes).then((value) => ({digest, value}))
      // Keep rejected entries too (one error per file per run), but never as an unhandled rejection.
      entry.catch(() => {})
      this.#entries.set(cacheKey, entry)
    }
    return entry as Promise<CachedRead<T>>
  }

  /** Drops every decrypted value, for the end of a run. */
  clear(): void {
    this.#entries.clear()
  }

  [inspect.custom](): string {
    return `DecryptedFileCache(${this.#entries.size} files)`
  }

  toJSON(): unknown {
    return {files: this.#entries.size}
  }
}
