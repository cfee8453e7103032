/**
 * One line for an error in an outcome or the audit table. Engine errors are built from names and
 * addresses only; anything else is reduced to its message, which drivers keep value-free.
 */
import {SecretctlError} from '../errors.js'

export function describeError(err: unknown): string {
  if (err instanceof SecretctlError) return err.hint ? `${err.message} (${err.hint})` : err.message
  if (err instanceof Error) return err.message
  return String(err)
}
