/**
 * A value source: one way a key of a Secret gets its value (`fromEnv`, `fromFile`, `generate`, a
 * secret-level `envFile`, …), declared in one file under src/sources/ and registered by one line
 * in registry.ts. The loader, the schema, value resolution and the messages call through this
 * interface and never name a source.
 */
import type {ValueSource} from '../manifests/types.js'
import type {FileRoots} from './value-files.js'

/**
 * One key's value: read from its source (with the digest of its ciphertext when the source holds
 * it encrypted), or — for generated sources — the spec apply generates it from, or — for an
 * encrypted value this machine has no key for — unknown, with the digest of its ciphertext.
 */
export type ResolvedValue =
  | {source: string; value: string; cipherDigest?: string; spec?: undefined; unknown?: undefined}
  | {source: string; spec: object; value?: undefined; unknown?: undefined}
  | {source: string; unknown: UnknownValue; value?: undefined; spec?: undefined}

/** An encrypted value that could not be decrypted here (no key, or not the right one). Names files and keys, never a value. */
export interface UnknownValue {
  /** SHA-256 (hex) of the value's ciphertext as committed: a plan without the key compares it with the one apply recorded. */
  cipherDigest: string
  /** The value file, relative to the manifests directory. */
  file: string
  /** Why, in the file's own words (`secrets/app.enc.yaml:9: no age identity found; …`). */
  reason: string
  hint?: string
  /** Where the manifest names the source (`app.yaml:7:5`) and its field (`data.DB.fromSops`); filled in by resolveValues. */
  declared?: {at: string; field: string}
}

/** What `validate` says of one encrypted value file: safe to print (recipients are public keys). */
export interface ValueFileReport {
  /** Relative to the manifests directory. */
  file: string
  /** `SOPS (yaml)`, `age (armored)`, `dotenvx`. */
  format: string
  /** Who can decrypt it, as far as the file says: age recipients, a dotenvx public key, age stanza types. */
  recipients: string[]
  /** True when this machine decrypted it. */
  decrypts: boolean
  /** Why it does not decrypt or cannot be used (a message naming files and keys only). */
  problem?: string
  /** What protects its integrity (`MAC`, `payload authentication`, `value authentication`) and whether it held. */
  integrity: {check: string; status: 'verified' | 'failed' | 'not checked'}
}

/** What resolving one key may use. Problems are reported, never thrown, so a run reports all of them together. */
export interface ResolveContext {
  env: NodeJS.ProcessEnv
  /** Where value files may be read from. */
  roots: FileRoots
  /** `secret NAME, key KEY`: how messages name what was being resolved. */
  who: string
  /** Report a problem at the source's field in the manifest (`data.TOKEN.fromEnv`, `envFile`). */
  report(message: string, hint?: string): void
  /** Values cached for this run by the sources themselves (a file read once for all of its keys). */
  cache: Map<string, unknown>
  /** Told about each encrypted file a source opened (for `validate`); may be called more than once per file. */
  describeFile?(report: ValueFileReport): void
}

/** What building a source from its manifest field may use. */
export interface BuildContext {
  /** Absolute directory of the manifest file: relative paths are relative to it. */
  here: string
  /** Where value files may be read from (secret-level sources read their key names at load). */
  roots: FileRoots
}

interface SourceKindBase<S extends ValueSource> {
  /** Recorded in the state as the key's source (`env`, `file`, `generate`, `envFile`). */
  kind: S['kind']
  /** The manifest field that names the source: `fromEnv` under `data.KEY`, or `envFile` on the secret. */
  field: string
  /** JSON Schema of the field's value (the Secret schema is composed from these). */
  schema: object
  /** One clause for the schema's description and help: `Name of an environment variable holding the value.` */
  summary: string
  /** Checks of the field's value that its schema cannot express; `at` is relative to the field. */
  check?(raw: unknown): Array<{at: string[]; message: string}>
  /** Resolve one key; undefined when a problem was reported. */
  resolve(source: S, ctx: ResolveContext): ResolvedValue | undefined | Promise<ResolvedValue | undefined>
  /** For sources whose values apply generates: a fresh value. */
  generate?(spec: object): string
  /** For sources whose values apply generates: regenerate under `--rotate` when older than this duration. */
  rotateEvery?(spec: object): string | undefined
  /** For sources that read a file: its absolute path (so `validate` can tell which value files are referenced). */
  valueFile?(source: S): string
  /**
   * For sources whose files may sit among the manifests as YAML (SOPS): the format's name when a
   * YAML document is such a value file rather than a manifest (`SOPS-encrypted`), else undefined.
   */
  valueDocument?(document: Record<string, unknown>): string | undefined
}

/** A source named under `data.KEY`, giving that key's value. */
export interface KeySourceKind<S extends ValueSource = ValueSource> extends SourceKindBase<S> {
  level: 'key'
  build(raw: unknown, ctx: BuildContext): S
}

/** What a secret-level source provides at load time: its file and a source per key (null when unreadable). */
export interface ExpandedSource {
  path: string
  declaredPath: string
  keys: Record<string, ValueSource> | null
}

/** A source named on the secret itself, giving every key of a file (`envFile`). */
export interface SecretSourceKind<S extends ValueSource = ValueSource> extends SourceKindBase<S> {
  level: 'secret'
  /** Reads the file's key names (never its values) at load time. */
  expand(raw: string, ctx: BuildContext): Promise<ExpandedSource>
  /** At resolution, before its keys: reports an unreadable file (its keys were unknown at load). */
  open(file: {path: string; declaredPath: string}, ctx: ResolveContext): void | Promise<void>
}

export type ValueSourceKind = KeySourceKind | SecretSourceKind
