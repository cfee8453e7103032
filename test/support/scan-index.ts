/**
 * A scan index without a state database, for the scan's unit tests: key records made by scanMarks
 * (as apply records them) for the given values, under a random salt.
 */
import {randomBytes} from 'node:crypto'
import {ScanIndex} from '../../src/scan/scan-index.js'
import {scanMarks, scanTagSeed} from '../../src/scan/scan-marks.js'
import {bytesFingerprinter, fingerprintWith} from '../../src/state/fingerprint.js'
import type {KeyRecord, SecretRecord, StateStore} from '../../src/state/types.js'

const salt = randomBytes(32)
/** The little of a state store that scanMarks and scanTagSeed use. */
export const scanTestState = {fingerprint: async (k: string, v: string) => fingerprintWith(salt, k, v)} as unknown as StateStore

/** The index of these secrets' values (secret → key → value); `unmarked`: recorded as before scan needles existed. */
export async function scanIndexOf(secrets: Record<string, Record<string, string>>, opts: {unmarked?: boolean} = {}): Promise<ScanIndex> {
  const records: SecretRecord[] = []
  for (const [name, values] of Object.entries(secrets)) {
    const keys: Record<string, KeyRecord> = {}
    for (const [key, value] of Object.entries(values)) {
      keys[key] = {
        fingerprint: fingerprintWith(salt, key, value),
        source: 'env',
        writtenAt: '',
        ...(opts.unmarked ? {} : {scan: await scanMarks(scanTestState, key, value)}),
      }
    }
    records.push({
      id: 0,
      name,
      backendId: 0,
      backend: 'default',
      externalRef: null,
      keys,
      backendVersion: null,
      createdAt: '',
      updatedAt: '',
    })
  }
  return new ScanIndex(records, await scanTagSeed(scanTestState), bytesFingerprinter(salt))
}
