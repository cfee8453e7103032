/**
 * One digest of a secret's per-key fingerprints (each an HMAC with the state's salt, see
 * StateStore.fingerprint): what a kind that marks its objects writes on them as "the data
 * secretctl wrote", and what the plan compares it with. Salted like the fingerprints it is made
 * of, so it says nothing about a value to whoever reads it without the state.
 */
import {createHash} from 'node:crypto'
import type {SecretValues, StateStore} from './types.js'

/** Each key's fingerprint (StateStore.fingerprint) of a secret's values. */
export async function valueFingerprints(state: Pick<StateStore, 'fingerprint'>, values: SecretValues): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(values)) out[key] = await state.fingerprint(key, value)
  return out
}

/** `sha256:<hex>` over the sorted `key NUL fingerprint` lines. */
export function keysDigest(fingerprints: Record<string, string>): string {
  const hash = createHash('sha256')
  for (const key of Object.keys(fingerprints).sort()) hash.update(`${key}\0${fingerprints[key]}\n`)
  return `sha256:${hash.digest('hex')}`
}
