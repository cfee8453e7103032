/**
 * Turns a schema-valid Secret document into a SecretManifest: each `data` entry becomes a
 * ValueSource (paths resolved against the manifest file's directory, generate defaults applied),
 * the keys of a secret-level `envFile` are folded in, and a secret with no sources is marked
 * placement-only. Reads only the envFile's key names here; values are read by src/sources.
 */
import path from 'node:path'
import type {ManifestProblem} from '../errors.js'
import {parseDuration} from '../duration.js'
import {readEnvFile} from '../sources/read-env-file.js'
import {DEFAULT_GENERATE} from '../sources/generate-value.js'
import secretSchema from '../../schemas/secret.schema.json' with {type: 'json'}
import type {GenerateSpec, SecretManifest, ValueSource} from './types.js'
import {fieldPositions, type ParsedDocument} from './positions.js'
import {problemAt} from './problems.js'

/** What a valid secret document holds (the schema guarantees these types). */
interface SecretDocument {
  name: string
  backend?: string
  description?: string
  data?: Record<string, {fromEnv?: string; fromFile?: string; generate?: Partial<GenerateSpec>}>
  envFile?: string
  keepSource?: boolean
}

const KEY_NAME = new RegExp(secretSchema.properties.data.propertyNames.pattern)

export interface BuiltSecret {
  manifest: SecretManifest
  problems: ManifestProblem[]
  /** False when the envFile could not be read: the key list is then incomplete (resolution reports it). */
  keysKnown: boolean
}

/**
 * Checks of one secret document the schema cannot express (a `rotateEvery` of zero). Reads the
 * raw document defensively, so it also runs on a document with schema errors.
 */
export function checkSecretDocument(doc: ParsedDocument): ManifestProblem[] {
  const data = (doc.value as Record<string, unknown>).data
  if (typeof data !== 'object' || data === null) return []
  const problems: ManifestProblem[] = []
  for (const [key, source] of Object.entries(data)) {
    const every = (source as {generate?: {rotateEvery?: unknown}} | null)?.generate?.rotateEvery
    if (typeof every === 'string' && parseDuration(every) === 0) {
      problems.push(problemAt(doc, ['data', key, 'generate', 'rotateEvery'], 'must be a duration longer than 0'))
    }
  }
  return problems
}

/** The manifest of a schema-valid secret document; envFile key problems come with it. */
export async function buildSecret(doc: ParsedDocument): Promise<BuiltSecret> {
  const v = doc.value as SecretDocument
  const here = path.dirname(doc.absPath)
  const problems: ManifestProblem[] = []
  const data: Record<string, ValueSource> = {}
  for (const [key, source] of Object.entries(v.data ?? {})) {
    if (source.fromEnv !== undefined) data[key] = {kind: 'env', variable: source.fromEnv}
    else if (source.fromFile !== undefined)
      data[key] = {kind: 'file', path: path.resolve(here, source.fromFile), declaredPath: source.fromFile}
    else if (source.generate !== undefined) {
      const g = source.generate
      const spec: GenerateSpec = {length: g.length ?? DEFAULT_GENERATE.length, charset: g.charset ?? DEFAULT_GENERATE.charset}
      if (g.rotateEvery !== undefined) spec.rotateEvery = g.rotateEvery
      data[key] = {kind: 'generate', spec}
    }
  }

  let envFile: string | undefined
  let keysKnown = true
  if (v.envFile !== undefined) {
    envFile = path.resolve(here, v.envFile)
    const declaredPath = v.envFile
    let keys: string[] = []
    try {
      keys = Object.keys(await readEnvFile(envFile))
    } catch {
      keysKnown = false // reported with the secret and key by resolveValues
    }
    for (const key of keys) {
      if (!KEY_NAME.test(key)) {
        problems.push(
          problemAt(doc, ['envFile'], `envFile ${declaredPath}: "${key}" is not a valid key name`, {
            hint: 'key names start with a letter or _ and hold letters, digits, _, . or -',
          }),
        )
      } else if (key in data) {
        problems.push(
          problemAt(doc, ['data', key], `key ${key} is given both in data and in envFile ${declaredPath}`, {
            on: 'key',
            hint: 'remove one of the two',
          }),
        )
      } else {
        data[key] = {kind: 'envFile', path: envFile, declaredPath, variable: key}
      }
    }
  }

  const manifest: SecretManifest = {
    kind: 'Secret',
    name: v.name,
    ...(v.backend !== undefined ? {backend: v.backend} : {}),
    data,
    ...(envFile !== undefined ? {envFile} : {}),
    placementOnly: Object.keys(v.data ?? {}).length === 0 && v.envFile === undefined,
    keepSource: v.keepSource ?? false,
    ...(v.description !== undefined ? {description: v.description} : {}),
    at: doc.at,
    fields: fieldPositions(doc),
  }
  return {manifest, problems, keysKnown}
}
