/**
 * Turns a schema-valid Secret document into a SecretManifest through the source registry: each
 * `data` entry becomes its source's ValueSource (paths resolved against the manifest file's
 * directory), the keys of secret-level sources (`envFile`) are folded in, and a secret with no
 * sources is marked placement-only. Secret-level sources read key names here; values are read
 * at resolution.
 */
import path from 'node:path'
import type {ManifestProblem} from '../errors.js'
import {keySources, secretSources} from '../sources/registry.js'
import type {FileRoots} from '../sources/value-files.js'
import type {FileSource, SecretManifest, ValueSource} from './types.js'
import {KEY_NAME_PATTERN} from './manifest-schemas.js'
import {fieldPositions, type ParsedDocument} from './positions.js'
import {problemAt} from './problems.js'
import {intern} from '../intern.js'

/** What a valid secret document holds (the schema guarantees these types). */
interface SecretDocument {
  name: string
  backend?: string
  description?: string
  data?: Record<string, Record<string, unknown>>
  refs?: Record<string, string | null>
  keepSource?: boolean
  adopt?: boolean
  [field: string]: unknown
}

const KEY_NAME = new RegExp(KEY_NAME_PATTERN)

export interface BuiltSecret {
  manifest: SecretManifest
  problems: ManifestProblem[]
  /** False when a secret-level source could not be read: the key list is then incomplete (resolution reports it). */
  keysKnown: boolean
}

/**
 * Checks of one secret document the schema cannot express (each source's own). Reads the raw
 * document defensively, so it also runs on a document with schema errors.
 */
export function checkSecretDocument(doc: ParsedDocument): ManifestProblem[] {
  const data = (doc.value as Record<string, unknown>).data
  if (typeof data !== 'object' || data === null) return []
  const problems: ManifestProblem[] = []
  for (const [key, entry] of Object.entries(data)) {
    if (typeof entry !== 'object' || entry === null) continue
    for (const source of keySources()) {
      if (!(source.field in entry) || !source.check) continue
      for (const found of source.check((entry as Record<string, unknown>)[source.field])) {
        problems.push(problemAt(doc, ['data', key, source.field, ...found.at], found.message))
      }
    }
  }
  return problems
}

/** Most secrets have no secret-level source: they share one empty list (frozen) instead of one each. */
const NO_FILE_SOURCES = Object.freeze([]) as unknown as FileSource[]

/** A backend's name as many secrets write it, one string for all of them instead of a copy each. */
const BACKEND_NAMES = new Map<string, string>()

/** The manifest of a schema-valid secret document; problems of secret-level sources' keys come with it. */
export async function buildSecret(doc: ParsedDocument, roots: FileRoots): Promise<BuiltSecret> {
  const v = doc.value as SecretDocument
  const ctx = {here: path.dirname(doc.absPath), roots}
  const problems: ManifestProblem[] = []
  const data: Record<string, ValueSource> = {}
  for (const [key, entry] of Object.entries(v.data ?? {})) {
    const source = keySources().find((s) => s.field in entry)
    if (source) data[key] = source.build(entry[source.field], ctx)
  }

  const fileSources: FileSource[] = []
  let keysKnown = true
  for (const source of secretSources()) {
    const raw = v[source.field]
    if (typeof raw !== 'string') continue
    const expanded = await source.expand(raw, ctx)
    fileSources.push({kind: source.kind, path: expanded.path, declaredPath: expanded.declaredPath})
    if (!expanded.keys) keysKnown = false // reported with the secret and key by resolveValues
    for (const [key, keySource] of Object.entries(expanded.keys ?? {})) {
      if (!KEY_NAME.test(key)) {
        problems.push(
          problemAt(doc, [source.field], `${source.field} ${raw}: "${key}" is not a valid key name`, {
            hint: 'key names start with a letter or _ and hold letters, digits, _, . or -',
          }),
        )
      } else if (key in data) {
        problems.push(
          problemAt(doc, ['data', key], `key ${key} is given both in data and in ${source.field} ${raw}`, {
            on: 'key',
            hint: 'remove one of the two',
          }),
        )
      } else {
        data[key] = keySource
      }
    }
  }

  const manifest: SecretManifest = {
    kind: 'Secret',
    name: v.name,
    ...(v.backend !== undefined ? {backend: intern(BACKEND_NAMES, v.backend)} : {}),
    data,
    fileSources: fileSources.length ? fileSources : NO_FILE_SOURCES,
    placementOnly: Object.keys(v.data ?? {}).length === 0 && fileSources.length === 0,
    ...(v.refs !== undefined ? {refs: {...v.refs}} : {}),
    keepSource: v.keepSource ?? false,
    ...(v.adopt ? {adopt: true} : {}),
    ...(v.description !== undefined ? {description: v.description} : {}),
    at: doc.at,
    fields: fieldPositions(doc),
  }
  return {manifest, problems, keysKnown}
}
