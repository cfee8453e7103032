/**
 * The `path:` variant of the encrypted backend: the whole store in one JSON file (file-store.ts),
 * mode 0600, replaced atomically. Versioned: each secret's write counter in the file is its
 * version, so a plan sees a secret another writer changed (another state using the same file, a
 * restored backup) and writes check-and-set against it. Metadata needs no password: the counters
 * are in the clear, the values are not.
 *
 * Writes and deletes of one run are serialised and grouped: those that arrive while a file write
 * is in flight go into the next one (one read-modify-replace for many secrets, as the state's group
 * commit does), and each caller's promise settles after the replace that holds its change.
 * A missing file is created only while the state places nothing on this backend; otherwise it is
 * an error naming the file, never an empty store.
 */
import {stat} from 'node:fs/promises'
import type {BackendDriver, DriverContext, HealthReport, SecretMetadata, WriteOptions, WriteResult} from '../driver.js'
import type {BackendCapabilities} from '../kind.js'
import {BackendError} from '../../errors.js'
import type {SecretValues, StateStore} from '../../state/types.js'
import type {EncryptedConfig} from './encrypted-config.js'
import {readStoreFile, writeStoreFile} from './file-store.js'
import {emptyStoreDocument, readSecret, secretVersion, type StoreDocument, StoreEdit} from './store-document.js'
import type {StoreUnlocker} from './store-unlocker.js'
import type {ValueCipher} from './value-cipher.js'

/** In a file that other writers may touch: versioned (write counters), values not in the state. */
export const ENCRYPTED_FILE_CAPABILITIES: BackendCapabilities = {
  readOnly: false,
  versioned: true,
  storesInState: false,
  rotatableToken: false,
  listable: true,
}

type Change = {op: 'put'; name: string; values: SecretValues; ifVersion?: string | null} | {op: 'remove'; name: string}

interface Queued {
  change: Change
  resolve(version: number | null): void
  reject(err: unknown): void
}

export class EncryptedFileDriver implements BackendDriver {
  readonly type = 'encrypted'
  readonly capabilities = ENCRYPTED_FILE_CAPABILITIES
  readonly name: string
  readonly file: string
  private readonly path: string
  private readonly state: StateStore
  private readonly unlocker: StoreUnlocker
  /** The document as last read or written, with the file's identity then: re-read only when the file changed. */
  private cached?: {stamp: string; doc: StoreDocument}
  private readonly queue: Queued[] = []
  private flushing = false

  constructor(ctx: DriverContext, config: EncryptedConfig, unlocker: StoreUnlocker) {
    this.name = ctx.backend.name
    this.file = config.file as string
    this.path = config.path as string
    this.state = ctx.state
    this.unlocker = unlocker
  }

  async health(): Promise<HealthReport> {
    const doc = await this.load(true)
    if (!doc) {
      await this.unlocker.password(true)
      return {ok: true, detail: `ok (no store file yet: ${this.file} is made at the first write)`}
    }
    await this.unlocker.unlock(doc)
    return {ok: true, detail: 'ok'}
  }

  async read(secretName: string): Promise<SecretValues | undefined> {
    const doc = (await this.load(false)) as StoreDocument
    if (!Object.hasOwn(doc.secrets, secretName)) return undefined
    return readSecret(doc, await this.unlocker.unlock(doc), secretName)
  }

  /** Counters only: no password needed. A missing or damaged file throws, so a plan never reads it as empty. */
  async metadata(secretName: string): Promise<SecretMetadata> {
    const doc = (await this.load(false)) as StoreDocument
    const exists = Object.hasOwn(doc.secrets, secretName)
    return {exists, version: exists ? String(secretVersion(doc, secretName)) : null}
  }

  async list(): Promise<string[]> {
    return Object.keys(((await this.load(false)) as StoreDocument).secrets).sort()
  }

  async write(secretName: string, values: SecretValues, opts: WriteOptions = {}): Promise<WriteResult> {
    const version = await this.enqueue({op: 'put', name: secretName, values, ifVersion: opts.ifVersion})
    return {externalRef: `${this.path}#${secretName}`, version: String(version), rowData: null}
  }

  async delete(secretName: string): Promise<void> {
    await this.enqueue({op: 'remove', name: secretName})
  }

  private enqueue(change: Change): Promise<number | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({change, resolve, reject})
      if (!this.flushing) {
        this.flushing = true
        // Let the writes issued in this turn join the first group.
        setImmediate(() => void this.flush())
      }
    })
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length) await this.commit(this.queue.splice(0))
    } finally {
      this.flushing = false
    }
  }

  /** One read-modify-replace for a group; a change that fails its check-and-set fails alone, a failed replace fails them all. */
  private async commit(group: Queued[]): Promise<void> {
    const settled: Array<{q: Queued; version: number | null}> = []
    try {
      let doc = await this.load(true)
      const puts = group.some((q) => q.change.op === 'put')
      let cipher: ValueCipher | undefined
      if (!doc && puts) {
        await this.mayCreate()
        const created = await this.unlocker.create()
        doc = emptyStoreDocument(created.header)
        cipher = created.cipher
      } else if (doc && puts) cipher = await this.unlocker.unlock(doc)
      // The group's changes go into one copy of the document (the cached one stays what the file holds until it is replaced).
      const edit = doc ? new StoreEdit(doc) : undefined
      let changed = false
      for (const q of group) {
        const c = q.change
        if (!edit) {
          settled.push({q, version: null}) // a delete from a store that does not exist: nothing to delete
          continue
        }
        if (c.op === 'remove') {
          changed = edit.remove(c.name) || changed
          settled.push({q, version: null})
          continue
        }
        const current = Object.hasOwn(edit.doc.secrets, c.name) ? String(secretVersion(edit.doc, c.name)) : null
        if (c.ifVersion !== undefined && c.ifVersion !== current) {
          q.reject(
            new BackendError(
              this.name,
              `${c.name} is at ${current === null ? 'no version (absent)' : `version ${current}`} in ${this.file}, not ${c.ifVersion === null ? 'absent' : `version ${c.ifVersion}`}: it changed outside this run`,
              {casMismatch: true, hint: 'plan again'},
            ),
          )
          continue
        }
        edit.put(cipher as ValueCipher, c.name, c.values)
        changed = true
        settled.push({q, version: secretVersion(edit.doc, c.name)})
      }
      if (edit && changed) await this.save(edit.doc)
    } catch (err) {
      for (const q of group) if (!settled.some((s) => s.q === q)) q.reject(err)
      for (const s of settled) s.q.reject(err)
      return
    }
    for (const s of settled) s.q.resolve(s.version)
  }

  /** A new store file only while the state places nothing here: a vanished file is an error, never a fresh empty store. */
  private async mayCreate(): Promise<void> {
    const here = (await this.state.listSecrets()).filter((s) => s.backend === this.name).length
    const kept = (await this.state.listRetainedCopies()).filter((c) => c.backend === this.name).length
    if (here + kept === 0) return
    throw new BackendError(
      this.name,
      `encrypted store file ${this.file} does not exist, but the state places ${here + kept} secret${here + kept === 1 ? '' : 's'} on it`,
      {hint: 'restore the file from a backup, or fix the backend path: (a missing file is never read as an empty store)'},
    )
  }

  /** The document, re-read only when the file changed; undefined for a missing file only under `create`. */
  private async load(create: boolean): Promise<StoreDocument | undefined> {
    const stamp = await this.stamp()
    if (stamp && this.cached?.stamp === stamp) return this.cached.doc
    const doc = await readStoreFile(this.file, {backend: this.name, create})
    if (doc && stamp) this.cached = {stamp, doc}
    return doc
  }

  private async save(doc: StoreDocument): Promise<void> {
    await writeStoreFile(this.file, doc, {backend: this.name})
    const stamp = await this.stamp()
    this.cached = stamp ? {stamp, doc} : undefined
  }

  /** The file's identity and content stamp (inode, size, mtime and ctime in ns), or undefined when it is missing. */
  private async stamp(): Promise<string | undefined> {
    try {
      const s = await stat(this.file, {bigint: true})
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`
    } catch {
      return undefined
    }
  }
}
