/**
 * The types that represent a plan. Computing one lives in compute-plan.ts (with make-plan.ts
 * gathering its inputs), rendering in src/render/, executing in src/apply/. A plan is plain,
 * serialisable data and never holds a secret value.
 */

export const FORMAT_VERSION = 1

/** What a change does. The table below gives each its glyph and colour; every renderer uses it. */
export type Action = 'create' | 'update' | 'move' | 'delete' | 'rotate' | 'set-default'

export const ACTIONS: Record<Action, {glyph: string; colour: 'green' | 'yellow' | 'cyan' | 'red' | 'magenta' | 'blue'; verb: string}> = {
  create: {glyph: '+', colour: 'green', verb: 'create'},
  update: {glyph: '~', colour: 'yellow', verb: 'update'},
  move: {glyph: '→', colour: 'cyan', verb: 'move'},
  delete: {glyph: '-', colour: 'red', verb: 'delete'},
  rotate: {glyph: '↻', colour: 'magenta', verb: 'rotate'},
  'set-default': {glyph: '*', colour: 'blue', verb: 'set default'},
}

/** Order of application (DESIGN "Plan"): lower phases first. */
export enum Phase {
  Backends = 10,
  DefaultSwitch = 20,
  TrustRootSecrets = 30,
  Tokens = 40,
  Secrets = 50,
  SecretDeletes = 60,
  BackendDeletes = 70,
}

/** Redacted view of a backend: config with credential-looking values masked. */
export interface BackendView {
  type: string
  description: string | null
  isDefault: boolean
  config: Record<string, unknown>
  rotation: Record<string, unknown> | null
}

/** Redacted view of a secret: where it lives and its key names, never values. */
export interface SecretView {
  backend: string
  keys: string[]
}

/**
 * Per key, what happens to its value: decided by fingerprints, not by reading values. `unknown`: an
 * encrypted value this plan could not decrypt, whose ciphertext differs from the one last applied
 * (a possible change).
 */
export type KeyChange = 'added' | 'removed' | 'changed' | 'unchanged' | 'regenerated' | 'unknown'

/**
 * A value file this plan could not decrypt (with `--allow-undecryptable`): its keys were planned
 * from their ciphertexts. A saved plan holding any is never applied.
 */
export interface UndecryptableFile {
  /** Relative to the manifests directory. */
  file: string
  /** Why, in the file's own words (no key, wrong key, where keys were looked for); never a value. */
  reason: string
  /** `secret.app/DB_PASSWORD` → where the manifest names its source: `app.yaml:7:5 data.DB_PASSWORD.fromSops`. */
  keys: Record<string, string>
}

/**
 * One changed field of a backend, as Terraform shows an attribute: masked where the field looks
 * like a credential; `lines` is a line diff (`+ `/`- `/`  ` prefixes) when either side spans lines.
 */
export interface FieldChange {
  /** Dotted path: `description`, `config.url`, `rotation.period`. */
  field: string
  /** Absent when the field is added. */
  before?: unknown
  /** Absent when the field is removed. */
  after?: unknown
  lines?: string[]
}

interface ChangeBase {
  /** `backend.bao`, `secret.github`, `backend.bao.token`. */
  address: string
  /** The backend's or the secret's name. */
  name: string
  phase: Phase
  /** One line a human reads: `value of GITHUB_TOKEN changed`, `drift: bao holds version 4, state recorded 3`. */
  reason: string
}

export interface BackendCreate extends ChangeBase {
  kind: 'backend'
  action: 'create'
  before: null
  after: BackendView
}

export interface BackendUpdate extends ChangeBase {
  kind: 'backend'
  action: 'update'
  before: BackendView
  after: BackendView
  fields: FieldChange[]
}

export interface BackendDelete extends ChangeBase {
  kind: 'backend'
  action: 'delete'
  before: BackendView
  after: null
  /** Copies that `keepSource` moves left on this backend; apply deletes them before the backend. */
  retainedCopies?: string[]
}

/** The default backend changes (`isDefault`); `name` is the new default. */
export interface DefaultSwitch extends ChangeBase {
  kind: 'backend'
  action: 'set-default'
  before: null
  after: null
  from: string
  to: string
}

interface SecretWrite extends ChangeBase {
  kind: 'secret'
  /** What happens to each key's value; absent for a placement-only secret (its values are not the manifests'). */
  keys?: Record<string, KeyChange>
  /** Set when the backend's copy changed outside secretctl. */
  drift?: boolean
  /** Only record what a read-only backend holds (its version, the keys' fingerprints): nothing is written. */
  recordOnly?: boolean
  /** The secret says `adopt: true`: apply may take over an object at the destination that secretctl did not create. */
  adopt?: boolean
  /** Why apply must fail this change without touching anything (an object secretctl does not own is in the way). */
  refused?: string
}

export interface SecretCreate extends SecretWrite {
  action: 'create'
  before: null
  after: SecretView
}

export interface SecretUpdate extends SecretWrite {
  action: 'update'
  before: SecretView
  after: SecretView
  /**
   * Only the state changes: the values are as recorded, but their ciphertexts were re-encrypted
   * (new recipients or data key), and the state records the new digests. Nothing is written to the backend.
   * (Not `recordOnly`, which records what a read-only backend holds.)
   */
  digestsOnly?: boolean
}

export interface SecretMove extends SecretWrite {
  action: 'move'
  before: SecretView
  after: SecretView
  from: string
  to: string
  /** Leave the copy on `from` (asked for, or forced: `from` is read-only). */
  keepSource: boolean
}

/** Deletes a secret; or, with `copies`, only the copies left on those backends (the secret stays, `after` says where). */
export interface SecretDelete extends ChangeBase {
  kind: 'secret'
  action: 'delete'
  before: SecretView
  after: SecretView | null
  /** Only forget the record: the value stays where it is (a read-only backend). */
  forgetOnly?: boolean
  /** Backends holding a copy a move left behind (interrupted before deleting its source). */
  copies?: string[]
  /** Why apply must fail this change without touching anything (the object is not secretctl's). */
  refused?: string
}

export interface TokenRotate extends ChangeBase {
  kind: 'token'
  action: 'rotate'
  before: null
  after: null
}

export type BackendChange = BackendCreate | BackendUpdate | BackendDelete | DefaultSwitch
export type SecretChange = SecretCreate | SecretUpdate | SecretMove | SecretDelete
/** A change that writes a secret's value somewhere. */
export type SecretWriteChange = SecretCreate | SecretUpdate | SecretMove
export type Change = BackendChange | SecretChange | TokenRotate

export type ResourceKind = Change['kind']

export interface PlanSummary {
  create: number
  update: number
  move: number
  delete: number
  rotate: number
  'set-default': number
}

export interface Plan {
  formatVersion: number
  /** The environment the plan was made for (projects with `environments:` only); apply of a saved plan refuses another. */
  environment?: string
  /** The state this plan was computed against; apply of a saved plan refuses when it moved on. */
  lineage: string
  serial: number
  /** sha256 of the manifest files. */
  manifestsDigest: string
  /** Fingerprints of the value sources that were read (`secret.github/GITHUB_TOKEN` → hex), salted like the state's. */
  sourceFingerprints: Record<string, string>
  /** Options the plan was computed with. */
  options: {prune: boolean; rotate: boolean; targets: string[]}
  changes: Change[]
  summary: PlanSummary
  /** Notes that are not changes (e.g. secrets in the state that the manifests no longer name, without --prune). */
  warnings: string[]
  /** What the state holds that the manifests no longer name, kept because the plan was made without --prune. */
  orphans?: {secrets: string[]; backends: string[]}
  /** Value files that could not be decrypted (only with `--allow-undecryptable`); absent when every value was read. */
  undecryptable?: UndecryptableFile[]
}

/** Backends a secret change touches: where it is and where it goes. */
export function touchedBackends(c: Change): string[] {
  if (c.kind !== 'secret') return []
  return [...new Set([c.before?.backend, c.after?.backend].filter((b): b is string => b !== undefined))]
}
