/**
 * Turns a schema-valid SecretBackend document into a BackendManifest through its kind (aliases
 * folded into the type, the kind's config defaults applied); and the checks the schema cannot
 * express for one document (rotation only on kinds with a rotatable token, durations above zero).
 */
import type {ManifestProblem} from '../errors.js'
import {parseDuration} from '../duration.js'
import {backendKinds, canonicalType, kindOf} from '../backends/registry.js'
import type {BackendManifest, RotationSpec} from './types.js'
import {fieldPositions, type ParsedDocument} from './positions.js'
import {problemAt} from './problems.js'

/** What a valid backend document holds (the schema guarantees these types). */
interface BackendDocument {
  name: string
  type: string
  description?: string
  isDefault?: boolean
  config?: Record<string, unknown>
  rotation?: RotationSpec
}

/**
 * Checks of one backend document the schema cannot express. Reads the raw document
 * defensively, so it also runs on a document with schema errors (all problems in one run).
 */
export function checkBackendDocument(doc: ParsedDocument): ManifestProblem[] {
  const v = doc.value as Record<string, unknown>
  const problems: ManifestProblem[] = []
  const type = canonicalType(v.type)
  const rotation = v.rotation
  if (rotation === undefined || rotation === null || typeof rotation !== 'object') return problems
  if (type !== undefined && !kindOf(type).capabilities.rotatableToken) {
    const rotating = backendKinds()
      .filter((k) => k.capabilities.rotatableToken)
      .map((k) => k.type)
    problems.push(problemAt(doc, ['rotation'], `rotation is only allowed on ${rotating.join(', ')} backends, not ${type}`, {on: 'key'}))
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
  const kind = kindOf(canonicalType(v.type) ?? v.type)
  return {
    kind: 'SecretBackend',
    name: v.name,
    type: kind.type,
    ...(v.description !== undefined ? {description: v.description} : {}),
    isDefault: v.isDefault ?? false,
    config: kind.withDefaults({...v.config}),
    ...(v.rotation ? {rotation: {...v.rotation}} : {}),
    at: doc.at,
    fields: fieldPositions(doc),
  }
}
