/**
 * A backend kind: everything secretctl knows about one `type:` of SecretBackend, declared in one
 * folder (`src/backends/<type>/`) and registered by one line in registry.ts. Generic code (the
 * loader, plan, apply, rotation, bootstrap, `rbac print`) calls through this interface and never
 * names a kind.
 */
import type {BackendManifest, SecretManifest} from '../manifests/types.js'
import type {BackendRecord, SecretValues, StateStore, TokenMeta} from '../state/types.js'
import type {BackendDriver, CredentialPrompt, DriverFactory} from './driver.js'

/** What a kind can do; plan and apply enforce these for every kind alike. */
export interface BackendCapabilities {
  /** Never a write, delete or move destination; a move off it keeps the source. */
  readOnly: boolean
  /** Reports an opaque version per secret that changes on every outside write: drift detection and check-and-set. */
  versioned: boolean
  /** Values live in the state database's secrets row; writes happen in the row's transaction. */
  storesInState: boolean
  /** secretctl can mint and rotate the token the backend authenticates with (`rotation:`). */
  rotatableToken: boolean
  /** The driver can list the secrets under secretctl's prefix (`list()`). */
  listable: boolean
  /**
   * Marks the objects it writes as secretctl's and reports objects it did not write
   * (`SecretMetadata.owned`): plan checks the destination of every create and move, and those
   * objects are never overwritten or deleted unless the secret says `adopt: true`.
   */
  marksOwnership?: boolean
}

/** The least-privilege roles of `rbac print`. */
export type AccessRole = 'planner' | 'applier' | 'rotator'

export const ACCESS_ROLES: readonly AccessRole[] = ['planner', 'applier', 'rotator']

/** One backend's access policy for a role, as the backend's own tool writes it (HCL, a Role YAML, …). */
export type AccessPolicy = {title: string; text: string} | {note: string}

export interface TokenRotationContext {
  driver: BackendDriver
  backend: BackendRecord
  state: StateStore
  now: () => Date
}

/** Rotation of the token a backend authenticates with: mint, verify, persist, retire. */
export interface TokenRotation {
  /** Rotates now; a failure keeps the old token working and throws. Returns warnings for what failed after the new token was stored. */
  rotate(ctx: TokenRotationContext): Promise<{warnings: string[]}>
}

/** A flag of `secretctl bootstrap TYPE NAME`, as plain data (the command turns it into a flag). */
export interface BootstrapOption {
  name: string
  description: string
  type: 'string' | 'boolean'
  default?: string
  required?: boolean
}

export interface BootstrapRequest {
  name: string
  /** Flag values by option name. */
  options: Record<string, string | boolean | undefined>
  /** Used in memory for this call only; persisted nowhere. */
  adminToken: string
}

/** What a wizard set up on the server: the backend to declare and the token to keep on the trust root. */
export interface BootstrapOutcome {
  backend: {description: string; isDefault: boolean; config: Record<string, unknown>; rotation?: Record<string, unknown>}
  /** The first token, and the key of the trust-root secret that holds it. */
  token: {key: string; value: string}
  tokenMeta: TokenMeta
  /** What was done, one line each, for the user. */
  steps: string[]
  /** Undo what cannot stay when the rest of the setup fails (revoke the minted token). */
  discard(): Promise<void>
}

/** The one-command setup of a backend of this kind (`secretctl bootstrap TYPE NAME`). */
export interface BootstrapWizard {
  options: readonly BootstrapOption[]
  /** Where the admin token may come from besides stdin and the prompt. */
  adminTokenVariable: string
  setUp(req: BootstrapRequest): Promise<BootstrapOutcome>
}

/** How a Secret on this kind names where each key's value already is (`refs:`), for kinds secretctl only reads. */
export interface SecretRefsSupport {
  /** What a ref looks like, for help texts and messages: `op://vault/item/[section/]field`. */
  syntax: string
  /** What a key without a ref (`KEY:` with no value) means, one line. */
  convention: string
  /** A secret on this kind must list its keys under `refs` (the kind cannot tell a secret's keys itself). */
  required: boolean
  /** What is wrong with one ref as written, or undefined. */
  check(ref: string): string | undefined
}

/** What `secretctl render` asks of a kind about one secret placed on one of its backends. */
export interface RenderRequest {
  backend: BackendManifest
  secret: SecretManifest
  /** The key names the secret has (sorted). */
  keys: string[]
  /** The process environment, for kinds whose placement depends on it (a kubeconfig's namespace). */
  env: NodeJS.ProcessEnv
}

/** The object the kind's apply writes, with its values: for `secretctl render` (never in a plan, a log or an error). */
export interface ManifestRequest extends RenderRequest {
  values: SecretValues
  /** Per-key fingerprints with the state's salt, as the state records them; absent while there is no state (no salt yet). */
  fingerprints?: Record<string, string>
  /** Values in clear (`stringData`) instead of encoded, where the format has both. */
  plainValues: boolean
}

/** External Secrets Operator resources for the secrets on one backend. */
export interface ExternalSecretsRequest {
  backend: BackendManifest
  secrets: Array<{secret: SecretManifest; keys: string[]}>
  /** `external-secrets.io/v1` (ESO 0.16 and later) or `external-secrets.io/v1beta1` (before 0.17). */
  apiVersion: string
}

/** A kind's answers to `secretctl render`; each is optional, and generic code never names a kind. */
export interface RenderHooks {
  /** The object apply writes for the secret, exactly as apply would write it. */
  manifestFor?(req: ManifestRequest): Record<string, unknown>
  /** How a workload consumes the secret where this kind keeps it (a pod spec fragment), with a comment for a human. */
  consumerSnippet?(req: RenderRequest): {comment: string; snippet: Record<string, unknown>}
  /** The store and ExternalSecret resources that make a cluster pull these secrets from where this kind keeps them: no value. */
  externalSecretsFor?(req: ExternalSecretsRequest): {comment: string; objects: Record<string, unknown>[]}
}

export interface RekeyRequest {
  backend: BackendRecord
  state: StateStore
  env: NodeJS.ProcessEnv
  /** The manifests directory (relative paths in the config). */
  dir?: string
  /** For the current password, where the kind asks for one. */
  prompt?: CredentialPrompt
  /** The new password; asked only once the current one has opened the store. */
  newPassword(): Promise<string>
}

export interface RekeyOutcome {
  /** How many values were encrypted anew. */
  values: number
  /** One line for the output and the audit table: what was done, the new cost. Never a value or a password. */
  detail: string
  /** What the user must know now (where the new password must be set, the keyring entry). */
  notes: string[]
}

/**
 * `secretctl backend rekey NAME`: every value of the backend encrypted again under a key from a
 * new password, in one step that either happens whole or not at all (the old password keeps
 * working until it has).
 */
export interface BackendRekey {
  rekey(req: RekeyRequest): Promise<RekeyOutcome>
}

/** What `secretctl import TYPE` was asked to look at, beyond the backend (each kind reads the options it has). */
export interface ImportOptions {
  /** OpenBao: only the names under the backend's folder that start with this. */
  path?: string
  /** Kubernetes: the namespace, which must be the backend's. */
  namespace?: string
  /** Kubernetes: a label selector (`app=web,tier!=cache`). */
  selector?: string
}

/** An object on the backend that secretctl can adopt where it is, under the name the driver finds it by. */
export interface ImportCandidate {
  /** The object as the backend names it (`secret/apps/github`, `apps/github`), for the output. */
  sourceName: string
  /** The secretctl name: the driver reaches the object by it, so it is never mapped to another. */
  name: string
  /** Where it is, as the state records it. */
  externalRef: string
  /** The object is not marked as secretctl's yet (kinds that mark ownership): the import marks it. */
  claim: boolean
}

export interface ImportCandidates {
  /** Where the kind looked: `secret/secretctl`, `namespace apps (selector app=web)`. */
  origin: string
  found: ImportCandidate[]
  /** What it found but cannot adopt where it is, with why (a sub-folder, a name the driver cannot reach, another type). */
  skipped: Array<{sourceName: string; reason: string}>
}

/** `secretctl import TYPE --backend NAME`: what is already on a backend of this kind, adopted where it is (values are not rewritten). */
export interface BackendImport {
  /** Lists the objects the backend holds, without reading a value. */
  find(driver: BackendDriver, options: ImportOptions): Promise<ImportCandidates>
  /**
   * For kinds that mark ownership: marks the object as secretctl's (labels, the fingerprint
   * annotation; metadata only, no value sent), on condition it is still at `version`. Returns the new version.
   */
  claim?(driver: BackendDriver, secretName: string, fingerprints: Record<string, string>, version: string): Promise<string>
}

/** The part of a kind that `BackendKind.load` imports on first use. */
export interface BackendKindCode {
  createDriver: DriverFactory
}

export interface BackendKind {
  /** The `type:` in manifests. */
  type: string
  /** Other spellings folded into `type` . */
  aliases: readonly string[]
  /** One line for help texts and the schema's description. */
  summary: string
  capabilities: BackendCapabilities
  /** JSON Schema of `config` (the manifest schema is composed from these). */
  configSchema: object
  /** Whether `config` must be given. */
  configRequired: boolean
  /** JSON Schema of `rotation`, for kinds with a rotatable token. */
  rotationSchema?: object
  /** The config as written, with the kind's defaults filled in. */
  withDefaults(config: Record<string, unknown>): Record<string, unknown>
  /**
   * The kind's driver code, imported only when a backend of the kind is used: what every run needs
   * from a kind (the fields above, the checks of a manifest) stays small, and a run on plaintext
   * backends never compiles the HTTP clients of the others. Hooks below that are async load their
   * code the same way, inside the kind's file.
   */
  load(): Promise<BackendKindCode>
  tokenRotation?: TokenRotation
  bootstrap?: BootstrapWizard
  /** For kinds whose values secretctl reads where they are: how a Secret's `refs` name them. */
  secretRefs?: SecretRefsSupport
  /** The backend-side policy a role needs, for `rbac print`. */
  accessPolicy?(role: AccessRole, backend: BackendManifest): AccessPolicy
  /** What `secretctl render` prints for secrets on this kind's backends. */
  render?: RenderHooks
  /** A new encryption password for the backend's values (`backend rekey`), for kinds that encrypt. */
  rekey?: BackendRekey
  /** What `secretctl import TYPE` adopts from a backend of this kind. */
  import?: BackendImport
}
