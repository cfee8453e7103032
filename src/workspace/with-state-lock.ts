/** Runs a writing command's work under the state lock, released however the work ends. */
import {hostname} from 'node:os'
import type {LockInfo} from '../state/state-lock.js'
import type {StateStore} from '../state/types.js'
import {resolveActor} from './actor.js'

export interface LockOptions {
  /** What holds the lock, for the refusal message others see, e.g. `apply --auto-approve`. */
  command: string
  /** How long to wait for a lock held by someone else (0: fail at once). */
  timeoutMs: number
  env: NodeJS.ProcessEnv
  /** Told when the lock was taken over from a holder that is no longer running (the command says so on stderr). */
  onTakeover: ((previous: LockInfo) => void) | undefined
}

export async function withStateLock<T>(state: StateStore, opts: LockOptions, work: () => Promise<T>): Promise<T> {
  const handle = await state.acquireLock(
    {actor: resolveActor(opts.env), host: hostname(), pid: process.pid, command: opts.command},
    {timeoutMs: opts.timeoutMs},
  )
  if (handle.tookOver) opts.onTakeover?.(handle.tookOver)
  try {
    return await work()
  } finally {
    await handle.release()
  }
}

/**
 * Plans first without the lock, so that bad input fails before anything (not even the lock row)
 * is written; then takes the lock and re-plans only if another run changed the state meanwhile.
 */
export async function planUnderLock<T, P extends {serial: number}>(
  state: StateStore,
  makePlan: () => Promise<P>,
  opts: LockOptions,
  work: (plan: P) => Promise<T>,
): Promise<T> {
  let plan = await makePlan()
  return withStateLock(state, opts, async () => {
    if ((await state.meta()).serial !== plan.serial) plan = await makePlan()
    return work(plan)
  })
}
