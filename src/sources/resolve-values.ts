/**
 * Resolves each secret's value sources to values, through the source registry. Generated keys are
 * only described here; apply generates them on create or when due. Every unreadable source of the
 * run is reported together, each problem pointing at its manifest field; no message carries a value.
 */
import path from 'node:path'
import {ManifestErrors, type ManifestProblem} from '../errors.js'
import type {DesiredModel, SecretManifest} from '../manifests/types.js'
import {sortProblems} from '../manifests/problems.js'
import {FewKeysMap} from './few-keys-map.js'
import {sourceKind} from './registry.js'
import type {ResolveContext, ResolvedValue} from './source-kind.js'
import type {FileRoots} from './value-files.js'

export type {ResolvedValue} from './source-kind.js'

/**
 * Secret name → key → resolved value. A secret has no entry when it is placement-only (its
 * value already lives in the store) or was left out by `secrets`.
 */
export type ResolvedValues = Map<string, ReadonlyMap<string, ResolvedValue>>

export interface ResolveOptions {
  env: NodeJS.ProcessEnv
  /** Resolve only these secrets (by name); all when absent. */
  secrets?: string[]
  /**
   * Keep an encrypted value this machine has no key for as unknown (planned from its ciphertext)
   * instead of reporting it as a problem: `--allow-undecryptable`, for a plan job without the keys.
   */
  allowUndecryptable?: boolean
  /** Told about each encrypted file a source opened (for `validate`). */
  describeFile?: ResolveContext['describeFile']
}

/** Where the project's value files may be read from: the manifests directory and what secretctl.yaml allows. */
export function fileRoots(model: Pick<DesiredModel, 'dir' | 'config'>): FileRoots {
  return {dir: model.dir, allowed: (model.config.allowedFileRoots ?? []).map((root) => path.resolve(model.dir, root))}
}

export async function resolveValues(model: DesiredModel, opts: ResolveOptions): Promise<ResolvedValues> {
  const only = opts.secrets ? new Set(opts.secrets) : undefined
  const out: ResolvedValues = new Map()
  const problems: ManifestProblem[] = []
  const cache = new Map<string, unknown>()
  const roots = fileRoots(model)
  const run: RunContext = {env: opts.env, roots, cache, ...(opts.describeFile ? {describeFile: opts.describeFile} : {})}
  for (const secret of model.secrets) {
    if (secret.placementOnly || (only && !only.has(secret.name))) continue
    out.set(secret.name, await resolveSecret(secret, run, problems, opts.allowUndecryptable ?? false))
  }
  if (problems.length > 0) throw new ManifestErrors(sortProblems(dedupe(problems)))
  return out
}

/** One problem per place and message: every key of a secret-level file may report the same one. */
function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const id = `${p.file}\0${p.line}\0${p.column}\0${p.field}\0${p.message}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/** The run's part of every source's context. */
type RunContext = Pick<ResolveContext, 'env' | 'roots' | 'cache' | 'describeFile'>

/**
 * What a source is given for one key (or one secret-level file): an object of one shape with `report` on its
 * prototype, where an object spread from the run's with a closure per key was a tenth of resolving 10,000 values.
 */
class SourceContext implements ResolveContext {
  readonly env: NodeJS.ProcessEnv
  readonly roots: ResolveContext['roots']
  readonly cache: Map<string, unknown>
  readonly describeFile: ResolveContext['describeFile']

  constructor(
    run: RunContext,
    readonly who: string,
    private readonly secret: SecretManifest,
    private readonly field: string,
    private readonly problems: ManifestProblem[],
  ) {
    this.env = run.env
    this.roots = run.roots
    this.cache = run.cache
    this.describeFile = run.describeFile
  }

  report(message: string, hint?: string): void {
    const at = positionOf(this.secret, this.field)
    this.problems.push({file: at.file, line: at.line, column: at.column, field: this.field, message, ...(hint ? {hint} : {})})
  }
}

function positionOf(secret: SecretManifest, field: string) {
  return secret.fields.get(field) ?? secret.at
}

async function resolveSecret(
  secret: SecretManifest,
  run: RunContext,
  problems: ManifestProblem[],
  allowUndecryptable: boolean,
): Promise<ReadonlyMap<string, ResolvedValue>> {
  for (const file of secret.fileSources) {
    const kind = sourceKind(file.kind)
    if (kind.level === 'secret') await kind.open(file, new SourceContext(run, `secret ${secret.name}`, secret, kind.field, problems))
  }
  const values = new FewKeysMap<ResolvedValue>()
  for (const [key, source] of Object.entries(secret.data)) {
    const kind = sourceKind(source.kind)
    const field = kind.level === 'key' ? `data.${key}.${kind.field}` : kind.field
    const ctx = new SourceContext(run, `secret ${secret.name}, key ${key}`, secret, field, problems)
    const value = await kind.resolve(source, ctx)
    if (!value) continue
    if (value.unknown && !allowUndecryptable) {
      // A secret-level file says it once for all of its keys.
      const who = kind.level === 'key' ? ctx.who : `secret ${secret.name}`
      const hint = `${value.unknown.hint ? `${value.unknown.hint}; ` : ''}a plan without the keys can go on with --allow-undecryptable`
      problems.push({...where(positionOf(secret, field)), field, message: `${who}: cannot decrypt ${value.unknown.reason}`, hint})
      continue
    }
    if (value.unknown) {
      const at = positionOf(secret, field)
      values.set(key, {...value, unknown: {...value.unknown, declared: {at: `${at.file}:${at.line}:${at.column}`, field}}})
    } else values.set(key, value)
  }
  return values
}

function where(at: {file: string; line: number; column: number}) {
  return {file: at.file, line: at.line, column: at.column}
}

/** For a generated value: when `--rotate` regenerates it (its source's `rotateEvery`), else undefined. */
export function rotateEveryOf(rv: ResolvedValue): string | undefined {
  return rv.spec === undefined ? undefined : sourceKind(rv.source).rotateEvery?.(rv.spec)
}

/** A fresh value for a generated key, from its source's spec. */
export function generateFor(rv: {source: string; spec: object}): string {
  const kind = sourceKind(rv.source)
  if (!kind.generate) throw new RangeError(`value source ${rv.source} does not generate values`)
  return kind.generate(rv.spec)
}
