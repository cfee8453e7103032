/** Checks a saved plan against the workspace it is about to be applied in (see check-saved-plan). */
import type {Workspace} from '../workspace/workspace.js'
import type {Plan} from './types.js'
import {checkSavedPlan} from './check-saved-plan.js'
import {sourceFingerprints} from './make-plan.js'

export async function assertPlanCurrent(plan: Plan, ws: Workspace): Promise<void> {
  checkSavedPlan(plan, {
    environment: ws.desired.environment?.name ?? null,
    meta: await ws.state.meta(),
    stateLocation: ws.state.location,
    manifestsDigest: ws.desired.digest,
    sourceFingerprints: await sourceFingerprints(ws),
  })
}
