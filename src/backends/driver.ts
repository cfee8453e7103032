/**
 * The one interface every secret backend implements. A driver stores and fetches the values of
 * secrets by name; the state database records where each secret lives. Drivers never log values.
 */
import type {BackendRecord, SecretValues, StateStore} from '../state/types.js'
import type {TokenApi} from '../rotation/rotate-token.js'

export interface DriverCapabilities {
  /** Values live in the state database's secrets row (plaintext); writes happen in the row transaction. */
  storesInState: boolean
  /** Reports a version per secret that changes on every outside write (drift detection). */
  versioned: boolean
  /** Supports check-and-set writes against a version. */
  checkAndSet: boolean
}

export interface SecretMetadata {
  exists: boolean
  /** Current version on the backend; null where the backend has none. */
  version: number | null
}

export interface WriteOptions {
  /** Check-and-set: the version the write expects to replace (0 = must not exist); undefined = no check. */
  cas?: number
}

export interface WriteResult {
  externalRef: string | null
  version: number | null
  /** For `storesInState` drivers: the values to put in the row, in the same transaction as the placement. */
  rowData: SecretValues | null
}

export interface HealthReport {
  ok: boolean
  /** Human text: `ok`, `sealed`, `not initialised`, `unreachable: ECONNREFUSED`, ... */
  detail: string
}

export interface BackendDriver {
  readonly name: string
  readonly type: string
  readonly capabilities: DriverCapabilities
  /** Where a secret of this name lives on this backend (external ref), or null when in the state. */
  refFor(secretName: string): string | null
  health(): Promise<HealthReport>
  /** The secret's values, or undefined when the backend has no such secret. A 403 throws, never undefined. */
  read(secretName: string): Promise<SecretValues | undefined>
  write(secretName: string, values: SecretValues, opts?: WriteOptions): Promise<WriteResult>
  /** Remove the secret entirely (all versions); a missing secret is not an error. */
  delete(secretName: string): Promise<void>
  /** Names of the secrets this backend holds under its prefix. */
  list(): Promise<string[]>
  /** Metadata only, no value read: used by plan for drift. */
  metadata(secretName: string): Promise<SecretMetadata>
  /** For backends whose token secretctl can rotate: the API and the token in use now. */
  tokenAccess?(): Promise<{api: TokenApi; currentToken: string}>
  /** Release connections held open (keep-alive); the run is over. */
  close?(): Promise<void>
}

/** What a driver factory receives. `tokenResolver` reads a trust-root secret's value (cached per run). */
export interface DriverContext {
  backend: BackendRecord
  state: StateStore
  /** Reads one key of a secret on a plaintext (trust-root) backend. */
  readTrustRoot(ref: {name: string; key: string}): Promise<string>
  /** Bound on requests in flight to one backend. */
  concurrency: number
}

export type DriverFactory = (ctx: DriverContext) => BackendDriver
