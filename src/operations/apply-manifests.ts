/**
 * `secretctl apply` and `secretctl reconcile`: under the state lock, plan (or check a saved plan
 * against the world it was made for), let the caller show and approve it, then apply it.
 */
import {withWorkspace, type WorkspaceOptions} from '../workspace/workspace.js'
import {planUnderLock} from '../workspace/with-state-lock.js'
import {makePlan, type PlanOptions} from '../plan/make-plan.js'
import {assertPlanCurrent} from '../plan/saved-plan.js'
import type {Plan} from '../plan/types.js'
import {applyContextOf, applyDeclarations, applyPlan} from '../apply/apply-plan.js'
import {assertStateRecords} from '../apply/state-writes.js'
import type {ApplyProgress, ApplyResult, ChangeOutcome} from '../apply/types.js'
import {UsageError} from '../errors.js'
import {boundHeapGrowth, collectGarbage, heapInUse} from '../workspace/collect-garbage.js'
import {setFingerprintsAside} from '../apply/fingerprints-aside.js'
import {packedValues} from '../apply/packed-values.js'
import type {LockInfo} from '../state/state-lock.js'
import {planContext, type PlanContext} from './plan-manifests.js'

/** Below this many changes the heap stays small (~200 MiB of RSS at 10,000) and a full collection would only cost time. */
const COLLECT_FROM_CHANGES = 10_000

/**
 * Nor when the heap is this small once the plan is made: a move of 10,000 one-key secrets had ~36 MB in use
 * there (~21 MB live), and its two full collections below were ~50 ms before the first request for nothing
 * (`--trace-gc`); at 100,000 it is ~220 MB, where they keep the migration's heap down (docs/performance.md).
 */
const COLLECT_FROM_HEAP_BYTES = 64 * 1024 * 1024

export interface ApplyRequest extends WorkspaceOptions, PlanOptions {
  /** A plan saved by `plan --out`, applied exactly (no approval asked). */
  saved?: Plan
  /** The command holding the lock, for others' refusal messages. */
  command: string
  lockTimeoutMs: number
  /** Shown the plan before anything changes. */
  onPlan?: (plan: Plan, context: PlanContext) => void
  /** Told when the lock of a holder no longer running was taken over. */
  onTakeover?: (previous: LockInfo) => void
  /** Asked before applying a plan with changes; false cancels (nothing changes). Absent: apply. */
  approve?: (plan: Plan) => Promise<boolean>
  onOutcome?: (o: ChangeOutcome) => void
  /** A progress display: started with the number of changes once approved, told each outcome, stopped however the apply ends. */
  progress?: ApplyProgress
}

export interface ApplyOutcome {
  plan: Plan
  context: PlanContext
  /** null when there was nothing to do or the apply was cancelled. */
  result: ApplyResult | null
  cancelled: boolean
}

export async function applyManifests(req: ApplyRequest): Promise<ApplyOutcome> {
  if (req.saved && (req.prune || req.targets?.length)) {
    throw new UsageError('--prune and --target cannot be combined with a saved plan', 'they were fixed when the plan was made')
  }
  // A saved plan applies only to the state it was made against, which exists: never start a new one for it.
  // An unknown value can never be written: apply resolves every value or fails, naming what it could not decrypt.
  return withWorkspace({...req, stateAccess: req.saved ? 'write' : 'create', allowUndecryptable: false}, (ws) => {
    const planNow = async () => {
      // Packed outside the heap as soon as planning has read them, the values are not live at the peak
      // of planning, the plan's making (docs/performance.md, sixth round). A re-plan reads them packed.
      if (!req.saved) return makePlan(ws, req, () => (ws.values = packedValues(ws.values)))
      await assertPlanCurrent(req.saved, ws)
      return req.saved
    }
    const lock = {command: req.command, timeoutMs: req.lockTimeoutMs, env: req.env, onTakeover: req.onTakeover}
    return planUnderLock(ws.state, planNow, lock, async (plan) => {
      const context = planContext(ws)
      req.onPlan?.(plan, context)
      if (!plan.changes.length) return {plan, context, result: null, cancelled: false}
      // Refused before the question: a role that cannot record the plan is told so before anyone says yes.
      await assertStateRecords(plan, ws.state)
      if (req.approve && !(await req.approve(plan))) return {plan, context, result: null, cancelled: true}
      await req.progress?.start(plan.changes.length)
      const large = plan.changes.length >= COLLECT_FROM_CHANGES && heapInUse() >= COLLECT_FROM_HEAP_BYTES
      // The plan is made: of the declarations the apply needs only what applyDeclarations keeps
      // (docs/performance.md, peak RSS at 100,000). A large plan: what made it is garbage now, and
      // collected before the fingerprints are packed, the packing's buffers and garbage go into the
      // space freed instead of onto a heap full of it (that moment was the move's peak).
      ws.desired = applyDeclarations(ws.desired)
      // The migration holds a third of what planning did: its heap may grow as V8 likes, with the
      // limit set from the collection below (collect-garbage.ts).
      boundHeapGrowth(false)
      if (large) collectGarbage()
      // Until the apply ends, the plan's source fingerprints wait outside the heap (fingerprints-aside.ts).
      const restoreFingerprints = setFingerprintsAside(plan)
      try {
        const onOutcome = (o: ChangeOutcome) => {
          req.onOutcome?.(o)
          req.progress?.outcome(o)
        }
        const ctx = applyContextOf(ws, req.env, onOutcome)
        // The values are packed in ctx: the workspace's need not stay for the whole apply.
        ws.values = new Map()
        // The heap's limit for the apply is set from what is live after a full collection (collect-garbage.ts).
        if (large) collectGarbage()
        const result = await applyPlan(plan, {...ctx, stateWritesChecked: true})
        return {plan, context, result, cancelled: false}
      } finally {
        restoreFingerprints()
        req.progress?.stop()
      }
    })
  })
}
