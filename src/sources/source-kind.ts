/**
 * A value source: one way a key of a Secret gets its value (`fromEnv`, `fromFile`, `generate`, a
 * secret-level `envFile`, …), declared in one file under src/sources/ and registered by one line
 * in registry.ts. The loader, the schema, value resolution and the messages call through this
 * interface and never name a source.
 */
import type {ValueSource} from '../manifests/types.js'
import type {FileRoots} from './value-files.js'

/** One key's value: read from its source, or — for generated sources — the spec apply generates it from. */
export type ResolvedValue = {source: string; value: string; spec?: undefined} | {source: string; value?: undefined; spec: object}

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
