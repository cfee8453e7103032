/**
 * Turns a schema-valid SecretBackend document into a BackendManifest: `vault` folded into
 * `openbao`, openbao defaults (`mount`, `pathPrefix`) applied, and the checks the schema cannot
 * express for one document (rotation only on openbao, durations longer than zero).
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

export function buildBackend(doc: ParsedDocument): {manifest: BackendManifest; problems: ManifestProblem[]} {
  const v = doc.value as BackendDocument
  const type = normaliseBackendType(v.type)!
  const problems: ManifestProblem[] = []
  if (v.rotation && type !== 'openbao') {
    problems.push(problemAt(doc, ['rotation'], `rotation is only allowed on openbao backends, not ${type}`, {on: 'key'}))
  }
  for (const field of ['period', 'ttl'] as const) {
    const text = v.rotation?.[field]
    if (text !== undefined && !(parseDuration(text)! > 0)) problems.push(problemAt(doc, ['rotation', field], 'must be a duration longer than 0'))
  }
  const config = type === 'openbao' ? {...OPENBAO_DEFAULTS, ...v.config} : {...v.config}
  const manifest: BackendManifest = {
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
  return {manifest, problems}
}
