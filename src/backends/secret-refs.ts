/**
 * A secret's `refs` as the state recorded them (per key, in KeyRecord.ref), for reading its copy
 * where the manifests are not at hand: `exec`, `secret get`, the source of a move. Only kinds that
 * declare `secretRefs` get them; the others read by name.
 */
import type {BackendDriver, SecretRefs} from './driver.js'
import type {KeyRecord, SecretRecord, SecretValues} from '../state/types.js'
import {kindOf} from './registry.js'

/** Each recorded key with its ref (null: the kind's convention), or undefined for kinds that take no refs. */
export function recordedRefs(row: SecretRecord, type: string): SecretRefs | undefined {
  if (!kindOf(type, row.backend).secretRefs) return undefined
  return Object.fromEntries(Object.entries(row.keys).map(([key, k]) => [key, k.ref ?? null]))
}

/** The values of the copy the state records, read the way it was recorded. */
export function readRecorded(driver: BackendDriver, row: SecretRecord): Promise<SecretValues | undefined> {
  return driver.read(row.name, recordedRefs(row, driver.type))
}

/** Key records without refs: a copy written to another backend is found there by name. */
export function withoutRefs(keys: Record<string, KeyRecord>): Record<string, KeyRecord> {
  return Object.fromEntries(Object.entries(keys).map(([key, {ref: _ref, ...rest}]) => [key, rest]))
}
