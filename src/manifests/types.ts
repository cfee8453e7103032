/**
 * The desired model: what the manifests say, after loading and validation. Plain data; every
 * object remembers where it was declared so later stages can point errors at file:line.
 */
import type {SourcePosition} from '../errors.js'

/** Where a field of a document was declared: `at` is the document, `fields` maps dotted paths. */
export interface Declared {
  at: SourcePosition
  /** Positions of the document's fields by dotted path (`config.url`, `data.TOKEN.fromEnv`). */
  fields: Record<string, SourcePosition>
}

export interface SecretRef {
  name: string
  key: string
}

export interface RotationSpec {
  tokenRole?: string
  policy?: string
  /** Go-style durations as written (`24h`, `720h`); parsed by src/duration.ts. */
  period?: string
  ttl?: string
}

export interface BackendManifest extends Declared {
  kind: 'SecretBackend'
  name: string
  /** Normalised type: `plaintext` | `openbao` (`vault` is an alias folded to `openbao`). */
  type: string
  description?: string
  isDefault: boolean
  /** Driver configuration as written (url, tokenSecretRef, mount, pathPrefix, namespace, ...). */
  config: Record<string, unknown>
  rotation?: RotationSpec
}

export interface GenerateSpec {
  length: number
  /** `alphanumeric` (default) | `hex` | `base64url` | `ascii` (printable, no space). */
  charset: string
  /** Duration (`30d`): regenerate under `--rotate` when older. */
  rotateEvery?: string
}

/** Where one key's value comes from. */
export type ValueSource =
  | {kind: 'env'; variable: string}
  | {kind: 'file'; path: string /* absolute, resolved against the manifest's directory */; declaredPath: string}
  | {kind: 'generate'; spec: GenerateSpec}
  /** A key from the secret-level `envFile` (dotenv). */
  | {kind: 'envFile'; path: string; declaredPath: string; variable: string}

export interface SecretManifest extends Declared {
  kind: 'Secret'
  name: string
  /** Backend name as written; undefined = the default backend. */
  backend?: string
  /** Key → source. Empty with `placementOnly` true when no sources are given. */
  data: Record<string, ValueSource>
  /** Secret-level dotenv file (absolute path); its keys are folded into `data` as `envFile` sources. */
  envFile?: string
  placementOnly: boolean
  keepSource: boolean
  description?: string
}

/** `secretctl.yaml` at the manifests directory's root: configuration, not a manifest. */
export interface ProjectConfig {
  /** State URL or path, relative paths resolved against the manifests dir. */
  state?: string
  file?: string
}

export interface DesiredModel {
  /** Absolute manifests directory. */
  dir: string
  backends: BackendManifest[]
  secrets: SecretManifest[]
  config: ProjectConfig
  /** sha256 over the manifest files (sorted by relative path: path NUL content NUL). */
  digest: string
  /** Relative paths of the files that were read, sorted. */
  files: string[]
}
