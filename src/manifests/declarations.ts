/**
 * Declarations for the cross-document checks: from a built manifest when its document is
 * valid, else read defensively from the raw document so that a document with a schema error
 * still takes part by name (no spurious "unknown backend" because of a typo in its config).
 */
import type {BackendManifest, SecretManifest} from './types.js'
import {placeOf, type ParsedDocument} from './positions.js'
import type {BackendDeclaration, SecretDeclaration} from './check-semantics.js'
import {canonicalType} from '../backends/registry.js'
import {secretSources} from '../sources/registry.js'

/** `reported`: dotted fields of the document that already have a problem; they are left out. */
export function backendDeclaration(
  doc: ParsedDocument,
  built?: BackendManifest,
  reported: Set<string> = new Set(),
): BackendDeclaration | undefined {
  if (built) {
    const ref = built.config.tokenSecretRef as {name: string; key: string} | undefined
    return {
      doc: placeOf(doc, built.fields),
      name: built.name,
      type: built.type,
      isDefault: built.isDefault,
      rotates: built.rotation !== undefined,
      ...(ref ? {tokenSecretRef: {name: ref.name, key: ref.key}} : {}),
    }
  }
  const v = doc.value as Record<string, unknown>
  if (typeof v.name !== 'string' || reported.has('name')) return undefined
  const ref = record(record(v.config)?.tokenSecretRef)
  const refField = (f: 'name' | 'key'): string | undefined => (reported.has(`config.tokenSecretRef.${f}`) ? undefined : text(ref?.[f]))
  return {
    doc: placeOf(doc),
    name: v.name,
    type: canonicalType(v.type),
    isDefault: v.isDefault === true,
    rotates: v.rotation !== undefined,
    ...(ref ? {tokenSecretRef: {name: refField('name'), key: refField('key')}} : {}),
  }
}

export function secretDeclaration(
  doc: ParsedDocument,
  built?: {manifest: SecretManifest; keysKnown: boolean},
  reported: Set<string> = new Set(),
): SecretDeclaration | undefined {
  if (built) {
    const m = built.manifest
    return {
      doc: placeOf(doc, m.fields),
      name: m.name,
      backend: m.backend,
      keys: built.keysKnown ? Object.keys(m.data) : null,
      placementOnly: m.placementOnly,
      ...(m.refs ? {refs: m.refs} : {}),
    }
  }
  const v = doc.value as Record<string, unknown>
  if (typeof v.name !== 'string' || reported.has('name')) return undefined
  const backendInvalid = v.backend !== undefined && (typeof v.backend !== 'string' || reported.has('backend'))
  const refs = record(v.refs)
  return {
    doc: placeOf(doc),
    name: v.name,
    backend: typeof v.backend === 'string' ? v.backend : undefined,
    backendInvalid,
    keys: null,
    placementOnly: v.data === undefined && secretSources().every((s) => v[s.field] === undefined),
    ...(refs && !reported.has('refs') ? {refs: Object.fromEntries(Object.entries(refs).map(([k, r]) => [k, text(r) ?? null]))} : {}),
  }
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}
