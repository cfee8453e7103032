/**
 * Database errors in the user's terms. A Postgres role without the rights a command needs gets a
 * message naming what was refused and which role to use; a SQLite file that is damaged, read-only,
 * full or busy gets a sentence saying so and what to do, never the statement that failed.
 */
import {StateError} from '../errors.js'

/** Postgres SQLSTATE for insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501'

/**
 * SQLite result codes (https://www.sqlite.org/rescode.html) as node-sqlite3 names them in
 * `err.code`, with what they mean for a state file.
 */
const SQLITE: Record<string, {problem: string; hint: string}> = {
  SQLITE_CORRUPT: {
    problem: 'is damaged (SQLite: database disk image is malformed)',
    hint: "restore it from a backup (SQLite's `PRAGMA integrity_check` on the file shows what is wrong)",
  },
  SQLITE_NOTADB: {
    problem: 'is not a SQLite database',
    hint: 'give --state the path of a secretctl state, or restore this one from a backup',
  },
  SQLITE_READONLY: {
    problem: 'is read-only here',
    hint: 'writing commands need to write the file and create its journal beside it: run as a user who may, or give --state a writable path',
  },
  SQLITE_CANTOPEN: {
    problem: 'cannot be opened',
    hint: 'check that the file and its directory exist and that this user may read and write them',
  },
  SQLITE_PERM: {problem: 'may not be accessed by this user', hint: 'check the permissions of the file and its directory'},
  SQLITE_FULL: {problem: 'cannot grow: the disk is full', hint: 'free some space on that disk and retry; nothing was written'},
  SQLITE_IOERR: {problem: 'could not be read or written (an I/O error)', hint: 'check the disk and the file system, then retry'},
  SQLITE_BUSY: {
    problem: 'is busy: another process kept it locked for too long',
    hint: 'retry when the other secretctl run has finished',
  },
  SQLITE_LOCKED: {problem: 'is busy: another process kept it locked for too long', hint: 'retry'},
}

/** A SQLite error (node-sqlite3 puts the primary result code's name in `code`) as a StateError about `what`. */
export function describeSqliteError(err: unknown, what: string): StateError | undefined {
  const code = (err as {code?: unknown})?.code
  const known = typeof code === 'string' ? SQLITE[code] : undefined
  return known ? new StateError(`${what} ${known.problem}`, known.hint) : undefined
}

/** True for Postgres's "permission denied" (the role lacks a privilege on a table or column). */
export function isInsufficientPrivilege(err: unknown): boolean {
  return (err as {code?: unknown})?.code === INSUFFICIENT_PRIVILEGE
}

export function translateStateError(err: unknown): StateError | undefined {
  const sqlite = describeSqliteError(err, 'the state database')
  if (sqlite) return sqlite
  const e = err as {code?: string; message?: string}
  if (!isInsufficientPrivilege(err)) return undefined
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
