/**
 * Database errors in the user's terms. A Postgres role without the rights a command needs gets a
 * message naming what was refused and which role to use, not a driver stack trace.
 */
import {StateError} from '../errors.js'

/** Postgres SQLSTATE for insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501'

export function translateStateError(err: unknown): StateError | undefined {
  const e = err as {code?: string; message?: string}
  if (e?.code !== INSUFFICIENT_PRIVILEGE) return undefined
  // With compileSqlOnError off the message is "<sql with placeholders> - <server message>".
  const refused =
    String(e.message ?? '')
      .split(' - ')
      .pop() ?? 'permission denied'
  return new StateError(
    `the state database refused this command: ${refused}`,
    'this database role lacks the rights the command needs (plan needs the planner role, apply the applier role): see `secretctl rbac print --role applier`',
  )
}
