/**
 * The encrypted backend's drivers. Values are sealed with AES-256-GCM (value-cipher.ts) under a key
 * derived from the backend's password with Argon2id, once per run (store-unlocker.ts).
 *
 * In the state database (the default, so a team shares the store with the state): the store
 * header (KDF parameters, salt, key check) is the backend's kind state (`backends.kind_state`),
 * and each secret's envelopes are its row's `data`, never plaintext. `write` does no I/O: it hands
 * back the envelopes as `rowData`, and apply stores them in the transaction that places the
 * secret, so a write is atomic with its placement. Rows, retained copies, listing and metadata are
 * the state-rows driver's (../state-rows-driver.ts), which does the row work here.
 *
 * With `path:`, the file driver (encrypted-file-driver.ts).
 */
import type {BackendDriver, DriverContext, DriverFactory, HealthReport, SecretMetadata, WriteResult} from '../driver.js'
import {ENCRYPTED_CAPABILITIES, ENCRYPTED_TYPE} from './encrypted-kind.js'
import {StateRowsDriver} from '../state-rows-driver.js'
import {StateError} from '../../errors.js'
import {hasKindState, type KindStateStore} from '../../state/kind-state-store.js'
import type {SecretValues, StateStore} from '../../state/types.js'
import {encryptedConfig} from './encrypted-config.js'
import {CorruptStoreError, CorruptValueError} from './encrypted-errors.js'
import {EncryptedFileDriver, ENCRYPTED_FILE_CAPABILITIES} from './encrypted-file-driver.js'
import {parseStoreHeader, type StoreHeader} from './store-document.js'
import {StoreUnlocker, type UnlockerOptions} from './store-unlocker.js'
import type {ValueCipher} from './value-cipher.js'

export {ENCRYPTED_FILE_CAPABILITIES}

/** In the state database: envelopes in the rows, written by secretctl alone, so no versions. */
export class EncryptedStateDriver implements BackendDriver {
  readonly type = ENCRYPTED_TYPE
  readonly capabilities = ENCRYPTED_CAPABILITIES
  readonly name: string
  private readonly rows: StateRowsDriver
  private readonly state: StateStore & KindStateStore
  private readonly unlocker: StoreUnlocker
  /** The header as read this run; refreshed when a value does not open under it (a rekey committed meanwhile). */
  private header?: Promise<StoreHeader | undefined>
  /** One cipher for the writes of a run: concurrent first writes make one new store, not one each. */
  private writeCipher?: Promise<ValueCipher>

  constructor(ctx: DriverContext, unlocker: StoreUnlocker) {
    if (!hasKindState(ctx.state)) throw new StateError(`backend ${ctx.backend.name}: this state store cannot keep an encrypted store`)
    this.name = ctx.backend.name
    this.state = ctx.state
    this.rows = new StateRowsDriver(ctx, 'encrypted')
    this.unlocker = unlocker
  }

  /** The password opens the store (or, for a store with no key yet, a password is at hand). */
  async health(): Promise<HealthReport> {
    const header = await this.readHeader()
    if (!header) {
      await this.unlocker.password(true)
      return {ok: true, detail: 'ok (no value yet: the key is made at the first write)'}
    }
    await this.unlocker.unlock(header)
    return {ok: true, detail: 'ok'}
  }

  async read(secretName: string): Promise<SecretValues | undefined> {
    const envelopes = await this.rows.read(secretName)
    if (!envelopes) return undefined
    try {
      return (await this.cipher()).openSecret(secretName, envelopes)
    } catch (err) {
      // Read the header again once: a rekey may have committed since this run read it.
      if (!(err instanceof CorruptValueError) || !(await this.headerChanged())) throw err
      return (await this.cipher()).openSecret(secretName, (await this.rows.read(secretName)) ?? {})
    }
  }

  /** No I/O: the envelopes go into the row in the placement transaction. */
  async write(secretName: string, values: SecretValues): Promise<WriteResult> {
    const cipher = await this.cipherForWrite()
    return {externalRef: null, version: null, rowData: cipher.sealSecret(secretName, values)}
  }

  delete(secretName: string): Promise<void> {
    return this.rows.delete(secretName)
  }

  list(): Promise<string[]> {
    return this.rows.list()
  }

  metadata(secretName: string): Promise<SecretMetadata> {
    return this.rows.metadata(secretName)
  }

  private readHeader(): Promise<StoreHeader | undefined> {
    if (!this.header) {
      this.header = this.state
        .readKindState(this.name)
        .then((v) => (v ? parseStoreHeader(v, this.name, 'the store header in the state: ') : undefined))
      this.header.catch(() => (this.header = undefined))
    }
    return this.header
  }

  private async headerChanged(): Promise<boolean> {
    const before = await this.readHeader()
    this.header = undefined
    return (await this.readHeader())?.keyCheck !== before?.keyCheck
  }

  /** The cipher of the store; values without a header are a damaged state, never an empty store. */
  private async cipher(): Promise<ValueCipher> {
    const header = await this.readHeader()
    if (!header) {
      throw new CorruptStoreError(
        this.name,
        `encrypted values are in the state but the store header (backends.kind_state) is missing`,
        'restore the state database from a backup',
      )
    }
    return this.unlocker.unlock(header)
  }

  /** The cipher to write with: the store's, or a new store's whose header is claimed in the state (the first writer's wins). */
  private cipherForWrite(): Promise<ValueCipher> {
    if (!this.writeCipher) {
      this.writeCipher = this.openOrCreate()
      this.writeCipher.catch(() => (this.writeCipher = undefined))
    }
    return this.writeCipher
  }

  private async openOrCreate(): Promise<ValueCipher> {
    const header = await this.readHeader()
    if (header) return this.unlocker.unlock(header)
    const created = await this.unlocker.create()
    const stored = parseStoreHeader(await this.state.claimKindState(this.name, {...created.header}), this.name)
    this.header = Promise.resolve(stored)
    return stored.keyCheck === created.header.keyCheck ? created.cipher : this.unlocker.unlock(stored)
  }
}

/** What a test can replace: the keyring, and whether a prompt may be shown. */
export type EncryptedDriverOptions = Pick<UnlockerOptions, 'keyring' | 'interactive' | 'cache'>

export function createEncryptedDriverWith(ctx: DriverContext, opts: EncryptedDriverOptions = {}): BackendDriver {
  const config = encryptedConfig(ctx.backend.config, ctx.backend.name, ctx.dir)
  const unlocker = new StoreUnlocker(ctx.backend.name, config, {env: ctx.env, prompt: ctx.prompt, ...opts})
  return config.file ? new EncryptedFileDriver(ctx, config, unlocker) : new EncryptedStateDriver(ctx, unlocker)
}

export const createEncryptedDriver: DriverFactory = (ctx) => createEncryptedDriverWith(ctx)
