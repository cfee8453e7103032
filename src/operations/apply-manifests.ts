/**
 * `secretctl apply` and `secretctl reconcile`: under the state lock, plan (or check a saved plan
 * against the world it was made for), let the caller show and approve it, then apply it.
 */
import {withWorkspace, type WorkspaceOptions} from '../workspace/workspace.js'
import {planUnderLock} from '../workspace/with-state-lock.js'
import {resolveActor} from '../workspace/actor.js'
import {makePlan, type PlanOptions} from '../plan/make-plan.js'
import {assertPlanCurrent} from '../plan/saved-plan.js'
import type {Plan} from '../plan/types.js'
import {applyPlan} from '../apply/apply-plan.js'
import type {ApplyResult, ChangeOutcome} from '../apply/types.js'
import {UsageError} from '../errors.js'

export interface ApplyRequest extends WorkspaceOptions, PlanOptions {
  /** A plan saved by `plan --out`, applied exactly (no approval asked). */
  saved?: Plan
  /** The command holding the lock, for others' refusal messages. */
  command: string
  lockTimeoutMs: number
  /** Shown the plan before anything changes. */
  onPlan?: (plan: Plan) => void
  /** Asked before applying a plan with changes; false cancels (nothing changes). Absent: apply. */
  approve?: (plan: Plan) => Promise<boolean>
  onOutcome?: (o: ChangeOutcome) => void
}

export interface ApplyOutcome {
  plan: Plan
  /** null when there was nothing to do or the apply was cancelled. */
  result: ApplyResult | null
  cancelled: boolean
}

export async function applyManifests(req: ApplyRequest): Promise<ApplyOutcome> {
  if (req.saved && (req.prune || req.targets?.length)) {
    throw new UsageError('--prune and --target cannot be combined with a saved plan', 'they were fixed when the plan was made')
  }
  // An unknown value can never be written: apply resolves every value or fails, naming what it could not decrypt.
  return withWorkspace({...req, allowUndecryptable: false}, (ws) => {
    const planNow = async () => {
      if (!req.saved) return makePlan(ws, req)
      await assertPlanCurrent(req.saved, ws)
      return req.saved
    }
    return planUnderLock(ws.state, planNow, {command: req.command, timeoutMs: req.lockTimeoutMs, env: req.env}, async (plan) => {
      req.onPlan?.(plan)
      if (!plan.changes.length) return {plan, result: null, cancelled: false}
      if (req.approve && !(await req.approve(plan))) return {plan, result: null, cancelled: true}
      const result = await applyPlan(plan, {
        state: ws.state,
        desired: ws.desired,
        values: ws.values,
        drivers: ws.drivers,
        actor: resolveActor(req.env),
        concurrency: ws.concurrency,
        onOutcome: req.onOutcome,
      })
      return {plan, result, cancelled: false}
    })
  })
}
