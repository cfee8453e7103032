/**
 * The manifest kinds secretctl knows and the schema of each (composed from the backend kinds'
 * and value sources' fragments). `kind` is matched case-insensitively so mcpctl's
 * `kind: secretbackend` documents load as they are.
 */
import {secretBackendSchema, secretSchema} from './manifest-schemas.js'

export type ManifestKind = 'SecretBackend' | 'Secret'

export const KINDS: Record<ManifestKind, {schema: () => object}> = {
  SecretBackend: {schema: secretBackendSchema},
  Secret: {schema: secretSchema},
}

export const KIND_NAMES = Object.keys(KINDS) as ManifestKind[]

/** The canonical kind for what a document says, or undefined when it names none we know. */
export function matchKind(kind: unknown): ManifestKind | undefined {
  if (typeof kind !== 'string') return undefined
  return KIND_NAMES.find((k) => k.toLowerCase() === kind.toLowerCase())
}
