/** `secretctl plan`: the plan of a manifests directory against its state, optionally saved for `apply FILE`. */
import {withWorkspace, type WorkspaceOptions} from '../workspace/workspace.js'
import {makePlan, type PlanOptions} from '../plan/make-plan.js'
import {writePlanFile} from '../plan/plan-file.js'
import type {Plan} from '../plan/types.js'

export interface PlanRequest extends WorkspaceOptions, PlanOptions {
  /** Also save the plan here (JSON, mode 0600). */
  out?: string
}

export function planManifests(req: PlanRequest): Promise<Plan> {
  return withWorkspace(req, async (ws) => {
    const plan = await makePlan(ws, req)
    if (req.out) writePlanFile(req.out, plan)
    return plan
  })
}
