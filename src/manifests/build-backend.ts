/**
 * Turns a schema-valid SecretBackend document into a BackendManifest: `vault` folded into
 * `openbao` and openbao defaults (`mount`, `pathPrefix`) applied; and the checks the schema
 * cannot express for one document (rotation only on openbao, durations longer than zero).
 */
import type {ManifestProblem} from '../errors.js'
import {parseDuration} from '../duration.js'
import type {BackendManifest, RotationSpec} from './types.js'
import {fieldPositions, type ParsedDocument} from './positions.js'
import {problemAt} from './problems.js'

/** What a valid backend document holds (the schema guarantees these types). */
interface BackendDocument {
  name: string
  type: 'plaintext' | 'openbao' | 'vault'
  description?: string
  isDefault?: boolean
  config?: Record<string, unknown>
  rotation?: RotationSpec
}

export const OPENBAO_DEFAULTS = {mount: 'secret', pathPrefix: 'secretctl'}

/** `vault` is an alias of `openbao`. */
export function normaliseBackendType(type: unknown): string | undefined {
  if (type === 'vault') return 'openbao'
  return type === 'plaintext' || type === 'openbao' ? type : undefined
}

/**
 * Checks of one backend document the schema cannot express. Reads the raw document
 * defensively, so it also runs on a document with schema errors (all problems in one run).
 */
export function checkBackendDocument(doc: ParsedDocument): ManifestProblem[] {
  const v = doc.value as Record<string, unknown>
  const problems: ManifestProblem[] = []
  const type = normaliseBackendType(v.type)
  const rotation = v.rotation
  if (rotation === undefined || rotation === null || typeof rotation !== 'object') return problems
  if (type !== undefined && type !== 'openbao') {
    problems.push(problemAt(doc, ['rotation'], `rotation is only allowed on openbao backends, not ${type}`, {on: 'key'}))
  }
  for (const field of ['period', 'ttl'] as const) {
    const text = (rotation as Record<string, unknown>)[field]
    if (typeof text === 'string' && parseDuration(text) === 0)
      problems.push(problemAt(doc, ['rotation', field], 'must be a duration longer than 0'))
  }
  return problems
}

/** The manifest of a schema-valid backend document. */
export function buildBackend(doc: ParsedDocument): BackendManifest {
  const v = doc.value as BackendDocument
  const type = normaliseBackendType(v.type)!
  const config = type === 'openbao' ? {...OPENBAO_DEFAULTS, ...v.config} : {...v.config}
  return {
    kind: 'SecretBackend',
    name: v.name,
    type,
    ...(v.description !== undefined ? {description: v.description} : {}),
    isDefault: v.isDefault ?? false,
    config,
    ...(v.rotation ? {rotation: {...v.rotation}} : {}),
    at: doc.at,
    fields: fieldPositions(doc),
  }
}
