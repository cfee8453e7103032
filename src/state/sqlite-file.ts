/**
 * The SQLite state as a file: what is checked before SQLite touches it, how a new one is created,
 * and how no value is left behind in it.
 *
 * - A file is opened only if it is a SQLite database (the 16-byte header, https://www.sqlite.org/fileformat.html);
 *   a 0-byte file is not a new state (it may be a truncated real one), and is refused by name.
 * - A new state is built in a temporary file beside the target, migrated and seeded, then linked
 *   into place: a state file either does not exist or is complete, so a crash while creating one
 *   leaves no empty or half-made state that a later run would mistake for something else.
 * - No directory is created, except `DIR/.secretctl/` (the default location, 0700).
 * - No value survives in the file or beside it: every connection runs with `secure_delete` (freed
 *   cells and pages are zeroed), the rollback journal is deleted at each commit (`journal_mode =
 *   DELETE`: TRUNCATE would leave the file behind, PERSIST its content, and WAL keeps old pages
 *   in the -wal file until a checkpoint that a concurrent reader can hold off), and temporary
 *   tables and indexes stay in memory (`temp_store`). A journal left by a run that was killed
 *   mid-transaction holds the pages it was about to change, values included; SQLite needs it to
 *   roll the change back, so it is rolled back and removed by the next open (`removeLeftoverJournal`).
 * - A reading open sets `query_only`: nothing it runs can write the file.
 */
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type {Knex} from 'knex'
import {StateError} from '../errors.js'
import {SILENT_LOG, silenceKnexDebug} from './knex-debug.js'
import {describeSqliteError} from './state-errors.js'

/** Milliseconds a SQLite connection waits for another process's lock before failing. */
const BUSY_TIMEOUT_MS = 5000

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

type RawConnection = {exec(sql: string, cb: (err: Error | null) => void): void}

/**
 * False when there is no file at `file`; true when there is a SQLite database; a StateError naming
 * it for anything else (a directory, an empty file, a file that is not SQLite).
 */
export function inspectSqliteFile(file: string, location: string): boolean {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return false
    if (code === 'ENOTDIR') throw new StateError(`the state ${location} is not a file: a part of its path is not a directory`)
    throw new StateError(`cannot read the state ${location}: ${code ?? String(err)}`, 'check the permissions of the file and its directory')
  }
  if (!stat.isFile()) {
    throw new StateError(`the state ${location} is not a file`, 'give --state the path of a SQLite file (or a postgres:// URL)')
  }
  if (stat.size === 0) {
    throw new StateError(
      `the state ${location} is an empty file (0 bytes), not a state; it may be a state that was truncated, so secretctl will not start a new one in its place`,
      `restore it from a backup; to start over with a new state (new lineage, generated values made again), remove it (rm ${file}) and run secretctl apply`,
    )
  }
  const head = Buffer.alloc(SQLITE_HEADER.length)
  let fd: number | undefined
  try {
    fd = fs.openSync(file, 'r')
    fs.readSync(fd, head, 0, head.length, 0)
  } catch (err) {
    throw new StateError(
      `cannot read the state ${location}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      'check the permissions of the file',
    )
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
  if (!head.equals(SQLITE_HEADER)) {
    throw new StateError(
      `the state ${location} is not a SQLite database (it does not start with the SQLite header); secretctl left it as it was`,
      'give --state the path of a secretctl state, or restore this one from a backup',
    )
  }
  return true
}

/** Refuses a state whose directory does not exist: secretctl creates no directory a person named. */
export function requireDirectory(file: string, location: string): void {
  const dir = path.dirname(file)
  let stat: fs.Stats | undefined
  try {
    stat = fs.statSync(dir)
  } catch {
    stat = undefined
  }
  if (!stat) {
    throw new StateError(
      `the directory ${dir} of the state ${location} does not exist`,
      'secretctl creates no directory for a state named by --state, SECRETCTL_STATE or secretctl.yaml: create it (mkdir -p), or correct the path',
    )
  }
  if (!stat.isDirectory()) throw new StateError(`${dir}, the directory of the state ${location}, is not a directory`)
}

/** Refuses, before anything is written, a state this user cannot write (the file, or its directory where the journal goes). */
export function requireWritable(file: string, location: string): void {
  for (const [target, what] of [
    [file, 'the file'],
    [path.dirname(file), `its directory ${path.dirname(file)}, where SQLite writes its journal,`],
  ] as const) {
    try {
      fs.accessSync(target, fs.constants.W_OK)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new StateError(
        `the state ${location} is read-only for this command: ${what} cannot be written (${code === 'EROFS' ? 'read-only file system' : 'permission denied'})`,
        'apply, reconcile and the other writing commands need to write it: run as a user who may, or give --state a writable path; plan, get, describe, history and exec only read it',
      )
    }
  }
}

/** The per-connection settings that keep values off the disk (and, reading, keep the file as it is). */
export function sqlitePragmas(opts: {readOnly: boolean}): string {
  return [
    'PRAGMA foreign_keys = ON',
    `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`,
    'PRAGMA secure_delete = ON',
    'PRAGMA temp_store = MEMORY',
    // Setting the mode it already has changes nothing in the file; a reading open leaves it alone.
    opts.readOnly ? 'PRAGMA query_only = ON' : 'PRAGMA journal_mode = DELETE',
  ].join('; ')
}

/**
 * A knex instance over the SQLite file, with sqlitePragmas. knex is imported here, when a run needs it: a
 * reading run never does (sqlite-read-store.ts), and loading knex was a fifth of `exec`'s start.
 */
export async function sqliteKnex(file: string, opts: {readOnly: boolean}): Promise<Knex> {
  const {default: knexFactory} = await import('knex')
  silenceKnexDebug()
  const pragmas = sqlitePragmas(opts)
  return knexFactory({
    client: 'sqlite3',
    connection: {filename: file},
    useNullAsDefault: true,
    log: SILENT_LOG,
    // knex otherwise writes the query with its bindings (secret values among them) into errors.
    compileSqlOnError: false,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: RawConnection, done: (err: Error | null, conn: unknown) => void) {
        conn.exec(pragmas, (err) => done(err, conn))
      },
    },
  })
}

/**
 * Builds a new state in a temporary file beside `file` with `init` (migrate and seed), then links
 * it into place. When another process created `file` meanwhile, theirs stands.
 */
export async function createSqliteState(
  file: string,
  location: string,
  opts: {createDirectory: boolean},
  init: (db: Knex) => Promise<void>,
): Promise<void> {
  const dir = path.dirname(file)
  if (opts.createDirectory && !fs.existsSync(dir)) {
    try {
      fs.mkdirSync(dir, {mode: 0o700})
      fs.chmodSync(dir, 0o700)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw cannotCreate(location, dir, code)
    }
  }
  const tmp = path.join(dir, `.${path.basename(file)}.new-${randomBytes(6).toString('hex')}`)
  try {
    fs.closeSync(fs.openSync(tmp, 'wx', 0o600))
    fs.chmodSync(tmp, 0o600)
  } catch (err) {
    throw cannotCreate(location, dir, (err as NodeJS.ErrnoException).code)
  }
  try {
    const db = await sqliteKnex(tmp, {readOnly: false})
    try {
      await init(db)
    } finally {
      await db.destroy()
    }
    try {
      fs.linkSync(tmp, file)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') return
      // File systems without hard links: a rename, after a last look.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw cannotCreate(location, dir, code)
      if (!fs.existsSync(file)) fs.renameSync(tmp, file)
    }
  } catch (err) {
    throw describeSqliteError(err, `the new state ${location}`) ?? err
  } finally {
    for (const leftover of [tmp, `${tmp}-journal`]) fs.rmSync(leftover, {force: true})
  }
}

function cannotCreate(location: string, dir: string, code: string | undefined): StateError {
  return new StateError(
    `cannot create the state ${location}: ${code === 'EACCES' || code === 'EPERM' ? `${dir} is not writable for this user` : (code ?? 'failed')}`,
    'run as a user who may write there, or give --state another path',
  )
}

/**
 * A run killed in the middle of a write leaves `<file>-journal` behind, holding the pages it was
 * changing (values included). Taking SQLite's write lock rolls back a journal that needs it (a
 * "hot" one, see https://www.sqlite.org/lockingv3.html#hot_journals) and thereby deletes it; a
 * journal the killed run had not yet committed to (its header still zero) is not hot, changed
 * nothing in the database and is deleted here, while we hold the write lock, so it cannot be a
 * live writer's. A live writer's journal is left alone: its owner deletes it when it commits.
 */
export async function removeLeftoverJournal(db: Knex, file: string, location: string, opts: {readOnly: boolean}): Promise<void> {
  const journal = `${file}-journal`
  if (!fs.existsSync(journal)) return
  const conn = (await db.client.acquireConnection()) as RawConnection
  const exec = (sql: string) => new Promise<void>((resolve, reject) => conn.exec(sql, (err) => (err ? reject(err) : resolve())))
  try {
    await exec('PRAGMA query_only = OFF')
    try {
      await exec('BEGIN IMMEDIATE')
    } catch (err) {
      // Busy: a live writer holds the journal. Read-only file or directory: it cannot be removed
      // from here; SQLite still reads the committed data, and refuses by itself if it needs the rollback.
      if (['SQLITE_BUSY', 'SQLITE_READONLY', 'SQLITE_CANTOPEN'].includes((err as {code?: string}).code ?? '')) return
      throw err
    }
    try {
      fs.rmSync(journal, {force: true})
    } finally {
      await exec('ROLLBACK')
    }
  } catch (err) {
    throw (
      describeSqliteError(err, `the state ${location}`) ??
      new StateError(
        `the state ${location} has a journal left by a run that was killed (${journal}), and it could not be rolled back`,
        'run secretctl once as a user who may write the state and its directory: it rolls the journal back and removes it',
      )
    )
  } finally {
    if (opts.readOnly) await exec('PRAGMA query_only = ON').catch(() => undefined)
    await db.client.releaseConnection(conn)
  }
}

/** SQLite's quick integrity check (https://www.sqlite.org/pragma.html#pragma_quick_check), before a write could spread damage. */
export async function quickCheck(db: Knex, location: string): Promise<void> {
  const rows: Record<string, string>[] = await db.raw('PRAGMA quick_check')
  const results = rows.map((r) => Object.values(r)[0])
  if (results.length === 1 && results[0] === 'ok') return
  throw new StateError(
    `the state ${location} is damaged: SQLite's integrity check found ${results.length} problem${results.length === 1 ? '' : 's'}`,
    `restore it from a backup (SQLite's \`PRAGMA integrity_check\` on the file lists the problems)`,
  )
}
