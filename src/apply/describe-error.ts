/**
 * One line for an error in an outcome or the audit table. Engine errors are built from names and
 * addresses only; a database error is said in the user's terms; anything else is reduced to its
 * message, which drivers keep value-free.
 */
import {SecretctlError} from '../errors.js'
import {translateStateError} from '../state/state-errors.js'

export function describeError(err: unknown): string {
  // A database error (a permission refused, a SQLite file that failed) in the user's terms, never the statement.
  const state = err instanceof SecretctlError ? undefined : translateStateError(err)
  if (state) return describeError(state)
  if (err instanceof SecretctlError) return err.hint ? `${err.message} (${err.hint})` : err.message
  if (err instanceof Error) return err.message
  return String(err)
}
