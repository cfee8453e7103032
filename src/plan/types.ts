/**
 * The types that represent a plan. Computing one lives in diff.ts, rendering in src/render/,
 * executing in src/apply/. A plan is plain, serialisable data and never holds a secret value.
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

export type ResourceKind = 'backend' | 'secret' | 'token'

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

/** Per key, what happens to its value: decided by fingerprints, not by reading values. */
export type KeyChange = 'added' | 'removed' | 'changed' | 'unchanged' | 'regenerated' | 'unknown'

export interface Change {
  /** `backend.bao`, `secret.github`, `backend.bao.token`. */
  address: string
  kind: ResourceKind
  /** The backend's or the secret's name. */
  name: string
  action: Action
  phase: Phase
  /** One line a human reads: `value of GITHUB_TOKEN changed`, `drift: bao holds version 4, state recorded 3`. */
  reason: string
  /** Set for drift detected on the backend (the value changed outside secretctl). */
  drift?: boolean
  before: BackendView | SecretView | null
  after: BackendView | SecretView | null
  /** For secrets: what happens to each key's value. */
  keys?: Record<string, KeyChange>
  /** For moves. */
  from?: string
  to?: string
  keepSource?: boolean
}

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
}
