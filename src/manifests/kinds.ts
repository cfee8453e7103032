/**
 * The manifest kinds secretctl knows and the schema of each. `kind` is matched
 * case-insensitively so mcpctl's `kind: secretbackend` documents load as they are.
 */
import backendSchema from '../../schemas/secret-backend.schema.json' with {type: 'json'}
import secretSchema from '../../schemas/secret.schema.json' with {type: 'json'}

export type ManifestKind = 'SecretBackend' | 'Secret'

export const KINDS: Record<ManifestKind, {schema: object}> = {
  SecretBackend: {schema: backendSchema},
  Secret: {schema: secretSchema},
}

export const KIND_NAMES = Object.keys(KINDS) as ManifestKind[]

/** The canonical kind for what a document says, or undefined when it names none we know. */
export function matchKind(kind: unknown): ManifestKind | undefined {
  if (typeof kind !== 'string') return undefined
  return KIND_NAMES.find((k) => k.toLowerCase() === kind.toLowerCase())
}
