/**
 * Access to the values of retained copies (copies a `keepSource` move left on a backend that
 * stores values in the state). Only the drivers of kinds that keep values in the state need it, so it is a narrow extension of
 * `StateStore` rather than part of the contract every stage sees.
 */
import type {SecretValues, StateStore} from './types.js'

export interface RetainedCopyStore {
  /**
   * The copy of `secretName` retained on `backend`: its row data (null when the values live on
   * the backend itself), or undefined when there is no such copy.
   */
  readRetainedData(secretName: string, backend: string): Promise<SecretValues | null | undefined>
  /** Forget the copy of `secretName` retained on `backend`, if there is one. */
  deleteRetainedCopy(secretName: string, backend: string): Promise<void>
}

export function hasRetainedCopies(state: StateStore): state is StateStore & RetainedCopyStore {
  const s = state as Partial<RetainedCopyStore>
  return typeof s.readRetainedData === 'function' && typeof s.deleteRetainedCopy === 'function'
}
