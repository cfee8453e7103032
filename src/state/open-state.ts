/**
 * Finds and opens the state database: resolves which one (flag > SECRETCTL_STATE > secretctl.yaml >
 * `<dir>/.secretctl/state.db`), and opens it as the command needs (`StateAccess`). Only a writing
 * command creates a state or migrates one; reading commands never write a byte, and a file that is
 * not a secretctl state (empty, foreign, damaged, from a newer secretctl) is refused by name, never
 * taken over. SQLite specifics (how a file is checked and created, how no value is left in it) are
 * in sqlite-file.ts.
 */
import path from 'node:path'
import {MissingStateError, StateError} from '../errors.js'
import {MIGRATIONS, type NamedMigration} from './migrations/migration-source.js'
import {redactUrl} from './redact-url.js'
import {describeSqliteError} from './state-errors.js'
import type {StateStore} from './types.js'
import {openSqliteReader} from './sqlite-read-store.js'

/**
 * How a command opens the state:
 * - `create`: a writing command that may start a state (`apply`, `reconcile`): creates a missing
 *   one (creating `DIR/.secretctl/` for the default location, and no other directory), migrates;
 * - `write`: a writing command that needs the state to exist (`apply FILE`, `state unlock`);
 * - `read`: never writes, creates or migrates anything; a missing state is an error;
 * - `read-or-empty`: as `read`, but a missing state reads as an empty one (`plan`).
 */
export type StateAccess = 'create' | 'write' | 'read' | 'read-or-empty'

/** Where a state lives, once resolved. */
export type StateTarget = {dialect: 'sqlite'; file: string} | {dialect: 'postgres'; url: string}

/**
 * The state URL to use: `--state` flag, then SECRETCTL_STATE, then `state:` of secretctl.yaml,
 * then `sqlite:<dir>/.secretctl/state.db`. Returns `postgres://…` as given or `sqlite:/abs/path`.
 */
export function resolveStateUrl(opts: {flag?: string; env?: string; configValue?: string; dir: string}): string {
  const chosen = [opts.flag, opts.env, opts.configValue].map((v) => v?.trim()).find((v) => !!v)
  const target = chosen ? parseStateUrl(chosen, opts.dir) : {dialect: 'sqlite' as const, file: defaultStateFile(opts.dir)}
  return target.dialect === 'sqlite' ? `sqlite:${target.file}` : target.url
}

/** `<dir>/.secretctl/state.db`, absolute. */
export function defaultStateFile(dir: string): string {
  return path.join(path.resolve(dir), '.secretctl', 'state.db')
}

/**
 * Accepts `postgres://` / `postgresql://` URLs, `sqlite:/abs/path`, `sqlite:///abs/path`,
 * `sqlite:relative` and bare file paths; relative paths are relative to `dir`.
 */
export function parseStateUrl(url: string, dir: string): StateTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) return {dialect: 'postgres', url}
  let file: string
  const sqlite = /^sqlite3?:(.*)$/i.exec(url)
  if (sqlite) {
    file = sqlite[1]!.startsWith('//') ? sqlite[1]!.slice(2) : sqlite[1]!
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new StateError(
      `unsupported state URL ${redactUrl(url)}`,
      'use postgres://user:password@host:5432/db, sqlite:/path/state.db or a file path',
    )
  } else {
    file = url
  }
  if (!file) throw new StateError(`the state URL ${url} names no file`, 'use sqlite:/path/state.db or a file path')
  return {dialect: 'sqlite', file: path.resolve(dir, file)}
}

/** The error of a command that needs a state when there is none yet. */
export function noStateYet(location: string, hint?: string): StateError {
  return new MissingStateError(
    `no state yet at ${location}`,
    hint ??
      'nothing has been applied with this state: `secretctl apply` creates it (if one should exist, check -d, --state, SECRETCTL_STATE and `state:` in secretctl.yaml)',
  )
}

/** Refuses, with `hint`, what needs a state that exists: the empty view of `plan` has none. */
export function assertStateExists(state: StateStore, hint: string): void {
  if (!state.exists) throw noStateYet(state.location, hint)
}

/**
 * Opens the state at `url` (default: the one in `dir`) for `access` (default `create`).
 * Every refusal is a StateError naming the state; nothing is created or changed by a refused open.
 * A reading open of a SQLite state reads it without knex (sqlite-read-store.ts); everything else, and
 * what that reader does not do itself, goes through knex (open-knex-state.ts), loaded only then.
 */
export async function openState(opts: {url?: string; dir: string; access?: StateAccess}): Promise<StateStore> {
  const access = opts.access ?? 'create'
  const target = parseStateUrl(opts.url ?? resolveStateUrl({dir: opts.dir}), opts.dir)
  if (target.dialect === 'sqlite' && !writes(access)) {
    const reader = await openSqliteReader(target.file, opts.dir, access)
    if (reader) return reader
  }
  const {openKnexState} = await import('./open-knex-state.js')
  return openKnexState(target, opts.dir, access)
}

export const writes = (access: StateAccess) => access === 'create' || access === 'write'

/** A reading open of a state with pending migrations: refused when this version cannot read it without one. */
export function refuseUnreadable(pending: readonly NamedMigration[], location: string): void {
  if (pending.some((m) => m.neededToRead)) {
    throw new StateError(
      `the state at ${location} was made by an older secretctl and must be upgraded before this one can read it`,
      'a writing command upgrades it: run `secretctl apply` (with the same -d / --state)',
    )
  }
}

/** A state whose state_meta has no row. */
export function noLineage(location: string): StateError {
  return new StateError(
    `the state at ${location} has no lineage record (state_meta is empty)`,
    'the state database is damaged; restore it from a backup',
  )
}

/**
 * A Postgres URL's `schema` query parameter (secretctl's, not libpq's): the schema the state lives
 * in (one per environment), and the URL without it for the driver.
 */
export function postgresSchema(url: string): {url: string; schema?: string} {
  try {
    const parsed = new URL(url)
    const schema = parsed.searchParams.get('schema')
    if (!schema) return {url}
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
      throw new StateError(
        `the state URL's schema ${JSON.stringify(schema)} is not a plain lowercase SQL name`,
        'use letters, digits and _',
      )
    }
    parsed.searchParams.delete('schema')
    return {url: parsed.toString(), schema}
  } catch (err) {
    if (err instanceof StateError) throw err
    return {url}
  }
}

/**
 * The migrations not yet applied, from the database's `tables` (sorted) and the names in knex_migrations (read
 * only when it exists). Refuses a database that is not a secretctl state, or one a newer secretctl migrated.
 */
export async function pendingMigrations(
  tables: readonly string[],
  appliedNames: () => Promise<string[]>,
  opts: {location: string; fresh: boolean},
): Promise<NamedMigration[]> {
  const location = opts.location
  if (!tables.includes('knex_migrations')) {
    if (tables.length === 0 && opts.fresh) return [...MIGRATIONS]
    if (tables.length === 0) {
      throw new StateError(
        `${location} is an empty database, not a secretctl state; secretctl left it as it was`,
        'give --state the path of a secretctl state, or of a file that does not exist yet (secretctl creates it)',
      )
    }
    const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? `, and ${tables.length - 5} more` : '')
    throw new StateError(
      `${location} is a database but not a secretctl state (it has other tables: ${shown}); secretctl left it as it was`,
      'give --state the path of a secretctl state, a file that does not exist yet, or a database (or schema) of its own',
    )
  }
  const applied = new Set(await appliedNames())
  const known = new Set(MIGRATIONS.map((m) => m.name))
  const unknown = [...applied].filter((n) => !known.has(n))
  if (unknown.length > 0) {
    throw new StateError(
      `the state at ${location} was migrated by a newer secretctl (migration ${unknown.join(', ')})`,
      'upgrade secretctl to use this state',
    )
  }
  return MIGRATIONS.filter((m) => !applied.has(m.name))
}

export function passwordOf(url: string): string | undefined {
  try {
    const p = decodeURIComponent(new URL(url).password)
    return p || undefined
  } catch {
    return undefined
  }
}

/** Wraps a driver error in the user's terms, with the password (if any) masked out of its message. */
export function asStateError(err: unknown, location: string, password: string | undefined): StateError {
  if (err instanceof StateError) return err
  const sqlite = describeSqliteError(err, `the state ${location}`)
  if (sqlite) return sqlite
  let message = err instanceof Error ? err.message : String(err)
  if (password) message = message.split(password).join('***')
  return new StateError(
    `cannot open the state at ${location}: ${message}`,
    'check the --state URL, SECRETCTL_STATE or state: in secretctl.yaml, and that the database is reachable',
  )
}
