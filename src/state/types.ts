/**
 * The live model as the state database records it, and the store interface every stage uses.
 * The knex store serves SQLite and Postgres; a reading open of SQLite reads without knex
 * (sqlite-read-store.ts, the same rows through state-rows.ts). Nothing outside src/state speaks SQL.
 */

/** Values of one secret: key → plaintext value. Only ever held in memory or in a plaintext row. */
export type SecretValues = Record<string, string>

export interface TokenMeta {
  accessor?: string
  createdAt?: string
  expiresAt?: string | null
  lastRotatedAt?: string
  lastRotationError?: string | null
  lastRotationErrorAt?: string | null
  lastRevokeWarning?: string | null
}

export interface BackendRecord {
  id: number
  name: string
  type: string
  description: string | null
  isDefault: boolean
  config: Record<string, unknown>
  rotation: Record<string, unknown> | null
  tokenMeta: TokenMeta | null
  createdAt: string
  updatedAt: string
}

/** What the state knows of one key of a secret, never its value. */
export interface KeyRecord {
  /** HMAC-SHA-256(salt, key NUL value), hex. */
  fingerprint: string
  /** How the value was produced last: `env`, `file`, `envFile`, `generate`, `external` (placement only / unknown). */
  source: string
  /** When the value was last written (ISO); used by `generate.rotateEvery`. */
  writtenAt: string
  /**
   * SHA-256 (hex) of the value's ciphertext as committed, for values read from encrypted files: a
   * plan that cannot decrypt compares it (an unchanged ciphertext is an unchanged value).
   */
  cipherDigest?: string
  /** Where the value is on a backend secretctl only reads, as the Secret's `refs` named it (absent: the kind's convention). */
  ref?: string
  /**
   * What `secretctl scan` looks for (src/scan/scan-marks.ts), recorded whenever the value is in
   * hand: the value's length and a 16-bit keyed tag, and the same for each line of a multi-line
   * value with that line's fingerprint. Empty: nothing worth looking for (too short, a plain word).
   * Absent: recorded before scan existed (scan then tries every candidate against the fingerprint).
   */
  scan?: ScanNeedle[]
}

/** One text `secretctl scan` looks for: the whole value (trimmed) or one line of a multi-line value. Never the text itself. */
export interface ScanNeedle {
  /** HMAC-SHA-256(salt, key NUL text), hex; absent when the text is the value as is (the key's own fingerprint). */
  fingerprint?: string
  /** The text's length in UTF-8 bytes. */
  length: number
  /** A 16-bit keyed hash of the text: a pre-filter, so that scan hashes in full only the few candidates it lets through. */
  tag: number
  /** For a line of a multi-line value: its 1-based number in the value. */
  line?: number
  /** The text has a blank inside (a passphrase of words): scan then also looks at whole lines and quoted strings with blanks. */
  spaced?: true
}

export interface SecretRecord {
  id: number
  name: string
  backendId: number
  /** Denormalised for convenience: the backend's name. */
  backend: string
  /** Where the value lives on an external backend (`mount/pathPrefix/name`); null on a kind that stores values in the state. */
  externalRef: string | null
  /** Key → what the state knows of it; sorted keys. */
  keys: Record<string, KeyRecord>
  /** Version the backend reported at the last write (opaque: KV v2 version, resourceVersion); null where the kind has none. */
  backendVersion: string | null
  createdAt: string
  updatedAt: string
}

export interface StateMeta {
  lineage: string
  serial: number
}

export interface AuditEntry {
  runId: string
  actor: string
  address: string
  action: string
  /** `applied` | `failed` | `skipped` | `warning` */
  outcome: string
  /** Human detail: a reason or an error message. Never a value. */
  detail?: string
}

export interface AuditRow extends AuditEntry {
  id: number
  at: string
}

/**
 * A copy left on another backend than the secret's: by a move with `keepSource`, or — `pending` —
 * by a move whose source delete has not happened yet (recorded in the flip's transaction, so a
 * move killed before the delete leaves a record the next plan finishes).
 */
export interface RetainedCopy {
  secretName: string
  backend: string
  externalRef: string | null
  /** True until the move's source delete succeeds: the copy is to be deleted, not kept. */
  pending: boolean
  createdAt: string
}

/** Input for writing a secret's row after its value has been stored on its backend. */
export interface SecretPlacement {
  name: string
  backend: string
  externalRef: string | null
  /** Plaintext values to keep in the row, only when the backend stores values in the state. */
  rowData: SecretValues | null
  keys: Record<string, KeyRecord>
  backendVersion: string | null
  /** On a move with keepSource: remember the copy left on this backend (name). */
  retainOn?: {backend: string; externalRef: string | null; rowData: SecretValues | null; pending?: boolean}
}

/** A backend's new token, stored on its trust-root secret together with the token's metadata. */
export interface RotatedToken {
  backend: string
  secret: string
  key: string
  value: string
  fingerprint: string
  /** What scan looks for (KeyRecord.scan). */
  scan?: ScanNeedle[]
  tokenMeta: TokenMeta
}

export interface BackendInput {
  name: string
  type: string
  description: string | null
  config: Record<string, unknown>
  rotation: Record<string, unknown> | null
}

/**
 * The kinds of write an apply asks of the state (one per store method it calls), so that before
 * anything changes it can ask whether the database role may make them all (`missingPrivileges`).
 */
export type StateWrite =
  | 'backend-upsert'
  | 'backend-default'
  | 'backend-delete'
  | 'token'
  | 'secret-put'
  | 'secret-keys'
  | 'secret-delete'
  | 'copy-put'
  | 'copy-delete'
  | 'serial'
  | 'audit'

import type {LockHolder, LockInfo, StateLockHandle} from './state-lock.js'

/**
 * The state store. Methods that change anything are atomic (one transaction each) unless said
 * otherwise. Every read returns plain objects sorted by name.
 */
export interface StateStore {
  /** Redacted description of where the state is (`sqlite:/path/state.db`, `postgres://user:***@host/db`). */
  readonly location: string
  readonly dialect: 'sqlite' | 'postgres'
  /** False only for the empty view of a state that does not exist yet (`plan` before the first apply). */
  readonly exists: boolean

  meta(): Promise<StateMeta>
  /** HMAC-SHA-256 fingerprint of one key's value with the state's salt. */
  fingerprint(key: string, value: string): Promise<string>
  /**
   * The same fingerprint as a synchronous function over bytes (`key NUL bytes`), for hashing many
   * candidates at once (`secretctl scan`); the salt stays inside it.
   */
  fingerprinter(): Promise<(key: string, bytes: Uint8Array) => string>

  listBackends(): Promise<BackendRecord[]>
  getBackend(name: string): Promise<BackendRecord | undefined>
  /** Create or update a backend's type/description/config/rotation (not its default flag). */
  upsertBackend(input: BackendInput): Promise<void>
  /** Make `name` the one default backend, in one transaction. */
  setDefaultBackend(name: string): Promise<void>
  /** Refused (StateError) for `default` and while any secret row points at the backend. */
  deleteBackend(name: string): Promise<void>
  setTokenMeta(backend: string, meta: TokenMeta): Promise<void>
  /** Store a rotated token in its trust-root secret row and the backend's token metadata, in one transaction. */
  persistRotatedToken(p: RotatedToken): Promise<void>

  listSecrets(): Promise<SecretRecord[]>
  /** The rows of these names (names without a row left out), in no particular order. */
  getSecrets(names: readonly string[]): Promise<SecretRecord[]>
  getSecret(name: string): Promise<SecretRecord | undefined>
  /** Plaintext values held in the row, when the secret is on a backend that stores in the state. */
  readRowData(name: string, onBackend?: string): Promise<SecretValues | null>
  /**
   * Create the row or flip it to a new placement in one transaction: backend, external ref,
   * row data (cleared when null), keys, version; and, with `retainOn`, record the copy left behind.
   */
  putSecret(p: SecretPlacement): Promise<void>
  /** Replace the key records of an existing row (values, placement and version untouched). */
  recordKeys(name: string, keys: Record<string, KeyRecord>): Promise<void>
  deleteSecret(name: string): Promise<void>
  listRetainedCopies(): Promise<RetainedCopy[]>
  /** Forget the copy of `secretName` on `backend` (after it was deleted there, or when the row came back to it). */
  deleteRetainedCopy(secretName: string, backend: string): Promise<void>

  /**
   * For each of `writes` this connection may not make, what it lacks, in the database's terms
   * (`INSERT on secrets`, `write access to /path/state.db`); writes it may make are absent. Reads
   * the database's privileges (Postgres) or the file's permissions (SQLite); changes nothing.
   */
  missingPrivileges(writes: readonly StateWrite[]): Promise<Map<StateWrite, string[]>>

  /** Bump the serial by one (an apply that changed something). Returns the new serial. */
  bumpSerial(): Promise<number>
  audit(entry: AuditEntry): Promise<void>
  listAudit(opts?: {limit?: number}): Promise<AuditRow[]>

  /**
   * Take the state lock (one writer at a time), waiting up to timeoutMs; throws StateLockedError
   * naming the holder. A holder that is no longer running on this host is taken over (the handle
   * says so, and an audit row records it).
   */
  acquireLock(holder: LockHolder, opts: {timeoutMs: number}): Promise<StateLockHandle>
  listLocks(): Promise<LockInfo[]>
  /** Remove a lock a dead holder left behind; true when there was one. With `actor`, an audit row records it. */
  removeLock(lockId: string, opts?: {actor?: string}): Promise<boolean>

  close(): Promise<void>
}
