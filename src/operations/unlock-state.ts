/**
 * `secretctl state unlock LOCK_ID`: removes a lock whose holder is gone, or is on another host (a
 * person says so). A holder still running on this host is refused, forced or not; every removal
 * is recorded in history.
 */
import {withExistingState} from '../workspace/environment-state.js'
import {resolveActor} from '../workspace/actor.js'
import {assertRemovable, describeHolder, type LockInfo} from '../state/state-lock.js'
import {UsageError} from '../errors.js'
import type {StateRequest} from './inspect-state.js'

export interface UnlockRequest extends StateRequest {
  lockId: string
  /** Asked before removing (absent with --force): the holder, and whether it is gone or elsewhere. */
  confirm?: (lock: LockInfo, question: string) => Promise<boolean>
}

export function unlockState(req: UnlockRequest): Promise<{lock: LockInfo; holder: string; removed: boolean}> {
  return withExistingState({...req, stateAccess: 'write'}, async (state) => {
    const lock = (await state.listLocks()).find((l) => l.lockId === req.lockId)
    if (!lock)
      throw new UsageError(`no lock with ID ${req.lockId} on ${state.location}`, 'nothing to unlock; `secretctl history` shows recent runs')
    const status = assertRemovable(lock)
    const where = status === 'gone' ? 'That process is no longer running on this host.' : `It is on ${lock.host}: make sure it is gone.`
    if (
      req.confirm &&
      !(await req.confirm(lock, `Lock ${lock.lockId}: held by ${describeHolder(lock)}.\n${where} Remove it? Only "yes" is accepted: `))
    ) {
      return {lock, holder: describeHolder(lock), removed: false}
    }
    await state.removeLock(lock.lockId, {actor: resolveActor(req.env)})
    return {lock, holder: describeHolder(lock), removed: true}
  })
}
