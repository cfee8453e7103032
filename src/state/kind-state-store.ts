/**
 * What a backend kind keeps in the state database for itself: a JSON document beside the backend's
 * row (`backends.kind_state`, not the manifest config, which apply overwrites), and a rewrite of
 * everything the backend holds in the state in one transaction. Only kinds that store values in the
 * state and key them need it (the encrypted kind: its header, and `backend rekey`), so it is a
 * narrow extension of `StateStore`, like retained-copy-store.ts.
 */
import type {SecretValues, StateStore} from './types.js'

/** Everything one backend holds in the state: its kind state and the data of its rows and retained copies, as stored. */
export interface BackendStoredData {
  kindState: Record<string, unknown> | null
  /** Secret name → the row's data, for rows placed on the backend that hold data. */
  rows: Record<string, SecretValues>
  /** Secret name → the data of a copy retained on the backend. */
  retained: Record<string, SecretValues>
}

export interface KindStateStore {
  /** The backend's kind state, or null when the kind has written none (or there is no such backend). */
  readKindState(backend: string): Promise<Record<string, unknown> | null>
  /**
   * Sets the kind state only when the backend has none yet, in one statement, and returns the one
   * in force afterwards: `value` when it was set, else what another writer set first.
   */
  claimKindState(backend: string, value: Record<string, unknown>): Promise<Record<string, unknown>>
  /**
   * Reads the backend's kind state and stored data, and writes what `rewrite` returns, in one
   * transaction: all of it changes, or (on any error, or a crash) none of it. Only rows and copies
   * that `rewrite` returns are updated, and only ones that exist. Returns how many were updated.
   */
  rewriteBackendData(
    backend: string,
    rewrite: (current: BackendStoredData) => BackendStoredData | Promise<BackendStoredData>,
  ): Promise<number>
}

export function hasKindState(state: StateStore): state is StateStore & KindStateStore {
  const s = state as Partial<KindStateStore>
  return typeof s.readKindState === 'function' && typeof s.claimKindState === 'function' && typeof s.rewriteBackendData === 'function'
}
