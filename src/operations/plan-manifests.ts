/** `secretctl plan`: the plan of a manifests directory against its state, optionally saved for `apply FILE`. */
import {withWorkspace, type Workspace, type WorkspaceOptions} from '../workspace/workspace.js'
import {makePlan, type PlanOptions} from '../plan/make-plan.js'
import {writePlanFile} from '../plan/plan-file.js'
import type {Plan} from '../plan/types.js'
import {assertStateExists} from '../state/open-state.js'

export interface PlanRequest extends WorkspaceOptions, PlanOptions {
  /** Also save the plan here (JSON, mode 0600). */
  out?: string
}

/** What a plan was compared against, for the header of every text plan. */
export interface PlanContext {
  /** Absolute manifests directory. */
  dir: string
  environment: string | null
  /** The state's location, password masked. */
  state: string
  /** False when there is no state yet (everything plans as new). */
  stateExists: boolean
}

export function planContext(ws: Workspace): PlanContext {
  return {dir: ws.desired.dir, environment: ws.desired.environment?.name ?? null, state: ws.state.location, stateExists: ws.state.exists}
}

export function planManifests(req: PlanRequest): Promise<{plan: Plan; context: PlanContext}> {
  return withWorkspace({...req, stateAccess: 'read-or-empty'}, async (ws) => {
    if (req.out) {
      assertStateExists(
        ws.state,
        'a saved plan is checked against the state it was made from (its lineage and fingerprint salt), and there is none yet: apply once, then plan --out',
      )
    }
    const plan = await makePlan(ws, req)
    if (req.out) writePlanFile(req.out, plan)
    return {plan, context: planContext(ws)}
  })
}
