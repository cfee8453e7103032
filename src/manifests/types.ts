/**
 * The desired model: what the manifests say, after loading and validation. Plain data; every
 * object remembers where it was declared so later stages can point errors at file:line.
 */
import type {SourcePosition} from '../errors.js'
import type {FieldPositions} from './field-positions.js'
import type {Environment} from '../environments/environment.js'

/** Where a field of a document was declared: `at` is the document, `fields` maps dotted paths. */
export interface Declared {
  at: SourcePosition
  /** Positions of the document's fields by dotted path (`config.url`, `data.TOKEN.fromEnv`). */
  fields: FieldPositions
}

export interface SecretRef {
  name: string
  key: string
}

/** `rotation:` as written: the planner reads `period`; the other fields belong to the kind (a token role, a policy, a TTL). */
export interface RotationSpec {
  /** Rotate when the token is older than this Go-style duration (`24h`); parsed by src/duration.ts. */
  period?: string
  [field: string]: unknown
}

export interface BackendManifest extends Declared {
  kind: 'SecretBackend'
  name: string
  /** Canonical type (aliases folded), a kind in src/backends/registry.ts. */
  type: string
  description?: string
  isDefault: boolean
  /** Driver configuration as written (url, tokenSecretRef, mount, pathPrefix, namespace, ...). */
  config: Record<string, unknown>
  rotation?: RotationSpec
}

/**
 * Where one key's value comes from: the source's kind (`env`, `file`, `generate`, `envFile`, as
 * registered in src/sources/registry.ts) and that source's own fields (paths already resolved).
 */
export interface ValueSource {
  kind: string
}

/** A secret-level source as declared (`envFile: app.env`): the file giving several keys. */
export interface FileSource {
  kind: string
  /** Absolute path. */
  path: string
  declaredPath: string
}

export interface SecretManifest extends Declared {
  kind: 'Secret'
  name: string
  /** Backend name as written; undefined = the default backend. */
  backend?: string
  /** Key → source, the keys of secret-level sources folded in. Empty with `placementOnly` true when no sources are given. */
  data: Record<string, ValueSource>
  /** Secret-level sources (`envFile`), whose keys are folded into `data`. */
  fileSources: FileSource[]
  placementOnly: boolean
  /** Where each key's value already is on a backend secretctl only reads (null: the kind's convention); such a secret is placement-only. */
  refs?: Record<string, string | null>
  keepSource: boolean
  /** Take over an existing object that secretctl did not create, on kinds that mark ownership. */
  adopt?: boolean
  description?: string
}

/** `secretctl.yaml` at the manifests directory's root: configuration, not a manifest. */
export interface ProjectConfig {
  /** State URL or path, relative paths resolved against the manifests dir. */
  state?: string
  /** Directories outside the manifests directory that value files may be read from (relative to it, or absolute). */
  allowedFileRoots?: string[]
  /** The environment used without --env / SECRETCTL_ENV. */
  defaultEnvironment?: string
  /** Environment name → its variables and state. */
  environments?: Record<string, {description?: string; vars?: Record<string, string>; state?: string}>
  /** `exec`: where `--secret` values come from, links tried in order (default `[backend]`). */
  exec?: {resolve?: ('backend' | 'environment')[]}
  file?: string
}

export interface DesiredModel {
  /** Absolute manifests directory. */
  dir: string
  /** The environment the model was loaded for (its documents selected and interpolated); null without environments. */
  environment: Environment | null
  backends: BackendManifest[]
  secrets: SecretManifest[]
  config: ProjectConfig
  /** sha256 over the manifest files (sorted by relative path: path NUL content NUL). */
  digest: string
  /** Relative paths of the manifest (and project configuration) files that were read, sorted. */
  files: string[]
  /** YAML files among the manifests that are a value source's files, not manifests (SOPS-encrypted), by relative path. */
  valueFiles?: Array<{file: string; format: string}>
}
