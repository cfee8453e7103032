/**
 * The one interface every secret backend's driver implements. A driver stores and fetches the
 * values of secrets by name; the state database records where each secret lives. Drivers never
 * log values. What a kind can do (read-only, versioned, …) is declared by its kind (kind.ts) and
 * enforced by plan and apply, not by each driver.
 */
import type {BackendRecord, SecretValues, StateStore} from '../state/types.js'
import type {BackendCapabilities} from './kind.js'

export interface SecretMetadata {
  exists: boolean
  /** Current version on the backend, an opaque string (KV v2 version, resourceVersion, item version); null where the kind has none. */
  version: string | null
  /** Where the secret lives, as the state records it, for kinds secretctl only reads (a write reports it in WriteResult instead). */
  externalRef?: string | null
  /**
   * Kinds that mark ownership: false when the object exists but secretctl did not create it (it is
   * never overwritten or deleted unless the secret says `adopt: true`); absent where not applicable.
   */
  owned?: boolean
  /**
   * Kinds that keep, on the object, a digest of the per-key fingerprints of what secretctl wrote
   * (src/state/keys-digest.ts): the digest it holds now, null when it holds none.
   */
  fingerprint?: string | null
  /** Where the object is on the backend (`namespace/name`), for messages; absent where the kind has no such place. */
  ref?: string
}

/**
 * Where each key of a secret lives on a kind that reads values where they are (a Secret's `refs`):
 * key → a reference in the kind's own syntax, or null for the kind's convention for that key.
 * Undefined: the kind's convention for the whole secret. Kinds without `secretRefs` ignore it.
 */
export type SecretRefs = Record<string, string | null>

export interface WriteOptions {
  /**
   * Check-and-set, for versioned kinds: null = the secret must not exist yet; a version = the
   * version the write expects to replace; undefined = no check.
   */
  ifVersion?: string | null
  /** Take over an existing object that secretctl did not create (kinds that mark ownership refuse otherwise). */
  adopt?: boolean
}

export interface WriteResult {
  /** Where the value now lives on the backend (`mount/prefix/name`, `namespace/name`); null when in the state. */
  externalRef: string | null
  version: string | null
  /** For `storesInState` kinds: the values to put in the row, in the same transaction as the placement. */
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
  readonly capabilities: BackendCapabilities
  health(): Promise<HealthReport>
  /** The secret's values, or undefined when the backend has no such secret. A 403 throws, never undefined. */
  read(secretName: string, refs?: SecretRefs): Promise<SecretValues | undefined>
  /** Never called for a `readOnly` kind. */
  write(secretName: string, values: SecretValues, opts?: WriteOptions): Promise<WriteResult>
  /** Remove the secret entirely (all versions); a missing secret is not an error. Never called for a `readOnly` kind. */
  delete(secretName: string): Promise<void>
  /** Metadata only, no value read (as far as the kind's API allows): used by plan for drift. */
  metadata(secretName: string, refs?: SecretRefs): Promise<SecretMetadata>
  /** The metadata of many secrets at once (one listing instead of a request each), for kinds that can; plan uses it when given. */
  metadataMany?(secretNames: string[]): Promise<Map<string, SecretMetadata>>
  /** Names of the secrets the backend holds under secretctl's prefix; only `listable` kinds have it. */
  list?(): Promise<string[]>
  /** Release connections held open (keep-alive); the run is over. */
  close?(): Promise<void>
}

/** What a driver factory receives. */
export interface DriverContext {
  backend: BackendRecord
  state: StateStore
  /** Reads one key of a secret on the trust root, cached per run. */
  readTrustRoot(ref: {name: string; key: string}): Promise<string>
  /** Bound on requests in flight to one backend. */
  concurrency: number
  /** The process environment, for kinds that read it (never read implicitly elsewhere). */
  env: NodeJS.ProcessEnv
  /** The manifests directory: a relative path in a backend's config is relative to it. */
  dir?: string
  /** Asks the person at the terminal for a credential, without echo; given by the command layer, absent where no one can answer. */
  prompt?: CredentialPrompt
}

/** A hidden prompt: resolves with what was typed. */
export type CredentialPrompt = (question: string) => Promise<string>

export type DriverFactory = (ctx: DriverContext) => BackendDriver
