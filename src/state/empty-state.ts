/**
 * What `plan` reads when no state exists yet: an empty state, in memory, as a new one would be
 * seeded (the trust root `default`, no secrets, serial 0), so that everything in the
 * manifests plans as new. Nothing is created: a plan never writes, and the first `apply` creates
 * the state. Its fingerprint salt is random and thrown away, which is why a plan made from it
 * cannot be saved (`plan --out` needs a real state's salt to be checked later).
 */
import {randomBytes} from 'node:crypto'
import {bytesFingerprinter, fingerprintWith} from './fingerprint.js'
import {StateError} from '../errors.js'
import {DEFAULT_BACKEND, TRUST_ROOT_DESCRIPTION, TRUST_ROOT_TYPE} from '../backends/trust-root.js'
import type {RetainedCopyStore} from './retained-copy-store.js'
import type {LockInfo, StateLockHandle} from './state-lock.js'
import type {AuditRow, BackendRecord, RetainedCopy, SecretRecord, SecretValues, StateMeta, StateStore, StateWrite} from './types.js'

export class EmptyStateStore implements StateStore, RetainedCopyStore {
  readonly exists = false
  private readonly salt = randomBytes(32)
  private readonly createdAt = new Date().toISOString()

  constructor(
    readonly location: string,
    readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async meta(): Promise<StateMeta> {
    return {lineage: '', serial: 0}
  }

  async fingerprint(key: string, value: string): Promise<string> {
    return fingerprintWith(this.salt, key, value)
  }

  async fingerprinter(): Promise<(key: string, bytes: Uint8Array) => string> {
    return bytesFingerprinter(this.salt)
  }

  async listBackends(): Promise<BackendRecord[]> {
    return [this.trustRoot()]
  }

  async getBackend(name: string): Promise<BackendRecord | undefined> {
    return name === DEFAULT_BACKEND ? this.trustRoot() : undefined
  }

  async listSecrets(): Promise<SecretRecord[]> {
    return []
  }

  async getSecrets(): Promise<SecretRecord[]> {
    return []
  }

  async getSecret(): Promise<SecretRecord | undefined> {
    return undefined
  }

  async readRowData(): Promise<SecretValues | null> {
    return null
  }

  async listRetainedCopies(): Promise<RetainedCopy[]> {
    return []
  }

  async readRetainedData(): Promise<SecretValues | null | undefined> {
    return undefined
  }

  async listAudit(): Promise<AuditRow[]> {
    return []
  }

  async listLocks(): Promise<LockInfo[]> {
    return []
  }

  /** Nothing is ever written through this view (every write is refused below), so nothing is asked. */
  async missingPrivileges(): Promise<Map<StateWrite, string[]>> {
    return new Map()
  }

  async close(): Promise<void> {}

  // Nothing writes through this view: there is no state to write to.
  upsertBackend(): Promise<void> {
    return this.refuse()
  }
  setDefaultBackend(): Promise<void> {
    return this.refuse()
  }
  deleteBackend(): Promise<void> {
    return this.refuse()
  }
  setTokenMeta(): Promise<void> {
    return this.refuse()
  }
  persistRotatedToken(): Promise<void> {
    return this.refuse()
  }
  putSecret(): Promise<void> {
    return this.refuse()
  }
  recordKeys(): Promise<void> {
    return this.refuse()
  }
  deleteSecret(): Promise<void> {
    return this.refuse()
  }
  deleteRetainedCopy(): Promise<void> {
    return this.refuse()
  }
  bumpSerial(): Promise<number> {
    return this.refuse()
  }
  audit(): Promise<void> {
    return this.refuse()
  }
  acquireLock(): Promise<StateLockHandle> {
    return this.refuse()
  }
  removeLock(): Promise<boolean> {
    return this.refuse()
  }

  private refuse(): Promise<never> {
    return Promise.reject(new StateError(`no state yet at ${this.location}`, 'a writing command (`secretctl apply`) creates it'))
  }

  private trustRoot(): BackendRecord {
    return {
      id: 0,
      name: DEFAULT_BACKEND,
      type: TRUST_ROOT_TYPE,
      description: TRUST_ROOT_DESCRIPTION,
      isDefault: true,
      config: {},
      rotation: null,
      tokenMeta: null,
      createdAt: this.createdAt,
      updatedAt: this.createdAt,
    }
  }
}
