/** `secretctl rotate backend NAME`: a plan of one token rotation, applied under the lock whatever the token's age. */
import {withWorkspace, type WorkspaceOptions} from '../workspace/workspace.js'
import {withStateLock} from '../workspace/with-state-lock.js'
import {tokenRotationPlan} from '../plan/compute-plan.js'
import {applyContextOf, applyPlan} from '../apply/apply-plan.js'
import type {ApplyResult} from '../apply/types.js'
import {UsageError} from '../errors.js'
import type {LockInfo} from '../state/state-lock.js'

export interface RotateRequest extends WorkspaceOptions {
  backend: string
  lockTimeoutMs: number
  onTakeover?: (previous: LockInfo) => void
}

export function rotateBackend(req: RotateRequest): Promise<ApplyResult> {
  return withWorkspace({...req, stateAccess: 'write'}, async (ws) => {
    const declared = ws.desired.backends.find((b) => b.name === req.backend)
    if (!declared?.rotation) {
      throw new UsageError(
        `backend ${req.backend} has no rotation settings in the manifests`,
        'add `rotation:` to its manifest (`secretctl bootstrap` writes them)',
      )
    }
    const lock = {command: `rotate backend ${req.backend}`, timeoutMs: req.lockTimeoutMs, env: req.env, onTakeover: req.onTakeover}
    return withStateLock(ws.state, lock, async () => {
      const plan = tokenRotationPlan(await ws.state.meta(), ws.desired.digest, req.backend)
      return applyPlan(plan, applyContextOf(ws, req.env))
    })
  })
}
