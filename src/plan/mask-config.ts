/**
 * Masks backend config values whose keys look like credentials (DESIGN "Security rules"). Keys
 * ending in `Ref` are references to a secret (a name and a key), not credentials, and stay visible.
 */
const CREDENTIAL_KEY = /token|secret|password|passwd|key|credential/i

export const MASK = '(sensitive)'

export function maskConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(config)) {
    if (/Ref$/.test(k)) out[k] = v
    else if (CREDENTIAL_KEY.test(k)) out[k] = MASK
    else if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = maskConfig(v as Record<string, unknown>)
    else out[k] = v
  }
  return out
}
