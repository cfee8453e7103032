/** Runs a writing command's work under the state lock, released however the work ends. */
import {hostname} from 'node:os'
import type {StateStore} from '../state/types.js'
import {resolveActor} from './actor.js'

export interface LockOptions {
  /** What holds the lock, for the refusal message others see, e.g. `apply --auto-approve`. */
  command: string
  /** How long to wait for a lock held by someone else (0: fail at once). */
  timeoutMs: number
  env: NodeJS.ProcessEnv
}

export async function withStateLock<T>(state: StateStore, opts: LockOptions, work: () => Promise<T>): Promise<T> {
  const handle = await state.acquireLock({actor: resolveActor(opts.env), host: hostname(), pid: process.pid, command: opts.command}, {timeoutMs: opts.timeoutMs})
  try {
    return await work()
  } finally {
    await handle.release()
  }
}
