/**
 * A plan's `sourceFingerprints` kept off the JavaScript heap while the plan is applied. Nothing in an
 * apply reads them (only `apply -o json` prints them, with the plan, once the apply is done), yet at
 * 100,000 secrets they are ~17 MiB of live heap (an object in dictionary mode, a key and a hex string
 * per key), which V8's heap limit multiplies (off-heap-texts.ts). Set aside as a JSON member per key
 * (~95 bytes a key, outside the heap), they come back when the apply ends as an equal object, keys in
 * the same order (docs/performance.md, peak RSS at 100,000).
 */
import type {Plan} from '../plan/types.js'
import {OffHeapTexts} from './off-heap-texts.js'

/** Empties `plan.sourceFingerprints` and returns the function that puts them back. */
export function setFingerprintsAside(plan: Plan): () => void {
  const fingerprints = plan.sourceFingerprints
  const members = new OffHeapTexts()
  for (const key of Object.keys(fingerprints)) members.add(`${JSON.stringify(key)}:${JSON.stringify(fingerprints[key])}`)
  plan.sourceFingerprints = {}
  return () => {
    const texts = Array.from({length: members.count}, (_, n) => members.get(n))
    plan.sourceFingerprints = JSON.parse(`{${texts.join(',')}}`) as Record<string, string>
  }
}
