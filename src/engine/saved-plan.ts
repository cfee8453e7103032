/** Checks a saved plan against the workspace it is about to be applied in (see check-saved-plan). */
import type {Workspace} from './workspace.js'
import type {Plan} from '../plan/types.js'
import {checkSavedPlan} from '../plan/check-saved-plan.js'
import {desiredFingerprints} from './make-plan.js'
import {secretAddress} from '../plan/compute-plan.js'

export async function assertPlanCurrent(plan: Plan, ws: Workspace): Promise<void> {
  const fingerprints: Record<string, string> = {}
  for (const [name, keys] of await desiredFingerprints(ws)) {
    for (const [key, k] of keys) if (k.fingerprint) fingerprints[`${secretAddress(name)}/${key}`] = k.fingerprint
  }
  checkSavedPlan(plan, {
    meta: await ws.state.meta(),
    stateLocation: ws.state.location,
    manifestsDigest: ws.desired.digest,
    sourceFingerprints: fingerprints,
  })
}
