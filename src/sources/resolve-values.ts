/**
 * Resolves each secret's value sources to values: environment variables, files (read as is),
 * and secret-level dotenv files. `generate` keys are only described here; apply generates
 * them on create or when due. Every unreadable source of the run is reported together, each
 * problem pointing at its manifest field; no message ever carries a value.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {ManifestErrors, type ManifestProblem, type SourcePosition} from '../errors.js'
import type {DesiredModel, GenerateSpec, SecretManifest} from '../manifests/types.js'
import {sortProblems} from '../manifests/problems.js'
import {readEnvFile} from './read-env-file.js'

export {generateValue} from './generate-value.js'

/** One key's value, or for `generate` the spec apply generates it from. */
export type ResolvedValue =
  | {source: 'env' | 'file' | 'envFile'; value: string; spec?: undefined}
  | {source: 'generate'; value?: undefined; spec: GenerateSpec}

/**
 * Secret name → key → resolved value. A secret has no entry when it is placement-only (its
 * value already lives in the store) or was left out by `secrets`.
 */
export type ResolvedValues = Map<string, Map<string, ResolvedValue>>

export interface ResolveOptions {
  env: NodeJS.ProcessEnv
  /** Resolve only these secrets (by name); all when absent. */
  secrets?: string[]
}

export async function resolveValues(model: DesiredModel, opts: ResolveOptions): Promise<ResolvedValues> {
  const only = opts.secrets ? new Set(opts.secrets) : undefined
  const out: ResolvedValues = new Map()
  const problems: ManifestProblem[] = []
  for (const secret of model.secrets) {
    if (secret.placementOnly || (only && !only.has(secret.name))) continue
    const values = await resolveSecret(secret, model.dir, opts.env, problems)
    out.set(secret.name, values)
  }
  if (problems.length > 0) throw new ManifestErrors(sortProblems(problems))
  return out
}

async function resolveSecret(
  secret: SecretManifest,
  dir: string,
  env: NodeJS.ProcessEnv,
  problems: ManifestProblem[],
): Promise<Map<string, ResolvedValue>> {
  const values = new Map<string, ResolvedValue>()
  const report = (field: string, message: string, hint?: string): void => {
    const at = positionOf(secret, field)
    problems.push({file: at.file, line: at.line, column: at.column, field, message, ...(hint ? {hint} : {})})
  }

  let dotenv: Record<string, string> | undefined
  if (secret.envFile !== undefined) {
    try {
      dotenv = await readEnvFile(secret.envFile)
    } catch (error) {
      report(
        'envFile',
        `secret ${secret.name}: envFile ${path.relative(dir, secret.envFile)} ${fsReason(error)}`,
        'the path is relative to the manifest file',
      )
    }
  }

  for (const [key, source] of Object.entries(secret.data)) {
    const who = `secret ${secret.name}, key ${key}`
    switch (source.kind) {
      case 'env': {
        const value = env[source.variable]
        if (value === undefined)
          report(
            `data.${key}.fromEnv`,
            `${who}: environment variable ${source.variable} is not set`,
            `export ${source.variable} before running secretctl`,
          )
        else values.set(key, {source: 'env', value})
        break
      }
      case 'file': {
        try {
          // Synchronous on purpose: thousands of small files read in turn through the thread pool
          // took about a millisecond each; a direct read takes a few microseconds.
          values.set(key, {source: 'file', value: readFileSync(source.path).toString('utf8')})
        } catch (error) {
          report(
            `data.${key}.fromFile`,
            `${who}: file ${source.declaredPath} ${fsReason(error)}`,
            source.declaredPath === source.path ? undefined : `resolved to ${source.path}`,
          )
        }
        break
      }
      case 'envFile': {
        if (!dotenv) break // the file itself is already reported
        const value = dotenv[source.variable]
        if (value === undefined) report('envFile', `${who}: envFile ${source.declaredPath} no longer holds ${source.variable}`)
        else values.set(key, {source: 'envFile', value})
        break
      }
      case 'generate':
        values.set(key, {source: 'generate', spec: source.spec})
        break
    }
  }
  return values
}

function positionOf(secret: SecretManifest, field: string): SourcePosition {
  return secret.fields[field] ?? secret.at
}

/** Why a file could not be read, from its error code only (never its content). */
function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'does not exist'
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)'
  if (code === 'EISDIR') return 'is a directory'
  return `cannot be read (${code ?? 'error'})`
}
