/**
 * Finds and opens the state database: resolves which one (flag > SECRETCTL_STATE > secretctl.yaml >
 * `<dir>/.secretctl/state.db`), and opens it as the command needs (`StateAccess`). Only a writing
 * command creates a state or migrates one; reading commands never write a byte, and a file that is
 * not a secretctl state (empty, foreign, damaged, from a newer secretctl) is refused by name, never
 * taken over. SQLite specifics (how a file is checked and created, how no value is left in it) are
 * in sqlite-file.ts.
 */
import {randomBytes, randomUUID} from 'node:crypto'
import path from 'node:path'
import knexFactory, {type Knex} from 'knex'
import {MissingStateError, StateError} from '../errors.js'
import {EmptyStateStore} from './empty-state.js'
import {SILENT_LOG} from './knex-debug.js'
import {DEFAULT_BACKEND, TRUST_ROOT_TYPE} from '../backends/trust-root.js'
import {KnexStateStore, TRUST_ROOT_DESCRIPTION} from './knex-state-store.js'
import {MIGRATIONS, migratorConfig} from './migrations/migration-source.js'
import {redactUrl} from './redact-url.js'
import {
  createSqliteState,
  inspectSqliteFile,
  quickCheck,
  removeLeftoverJournal,
  requireDirectory,
  requireWritable,
  sqliteKnex,
} from './sqlite-file.js'
import {describeSqliteError} from './state-errors.js'
import type {StateStore} from './types.js'

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
 */
export async function openState(opts: {url?: string; dir: string; access?: StateAccess}): Promise<StateStore> {
  const access = opts.access ?? 'create'
  const target = parseStateUrl(opts.url ?? resolveStateUrl({dir: opts.dir}), opts.dir)
  return target.dialect === 'sqlite' ? openSqlite(target.file, opts.dir, access) : openPostgres(target.url, access)
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

const writes = (access: StateAccess) => access === 'create' || access === 'write'

async function openSqlite(file: string, dir: string, access: StateAccess): Promise<StateStore> {
  const location = `sqlite:${file}`
  // DIR/.secretctl/ is secretctl's: the default state and each environment's (ENV.db) live there.
  const isDefault = path.dirname(file) === path.dirname(defaultStateFile(dir))
  if (!inspectSqliteFile(file, location)) {
    // The default `DIR/.secretctl/` is secretctl's to create; a directory a person named is not.
    if (!isDefault) requireDirectory(file, location)
    if (access === 'read-or-empty') return new EmptyStateStore(location, 'sqlite')
    if (access !== 'create') throw noStateYet(location)
    await createSqliteState(file, location, {createDirectory: isDefault}, (db) => prepare(db, {location, fresh: true, write: true}))
  }
  if (writes(access)) requireWritable(file, location)
  const db = sqliteKnex(file, {readOnly: !writes(access)})
  try {
    await removeLeftoverJournal(db, file, location, {readOnly: !writes(access)})
    if (writes(access)) await quickCheck(db, location)
    await prepare(db, {location, fresh: false, write: writes(access)})
  } catch (err) {
    await db.destroy().catch(() => {})
    throw asStateError(err, location, undefined)
  }
  return new KnexStateStore(db, {dialect: 'sqlite', location, file})
}

async function openPostgres(given: string, access: StateAccess): Promise<StateStore> {
  const location = redactUrl(given)
  const {url, schema} = postgresSchema(given)
  const db = knexFactory({
    client: 'pg',
    connection: url,
    ...(schema ? {searchPath: [schema]} : {}),
    pool: {min: 0, max: 10},
    log: SILENT_LOG,
    compileSqlOnError: false,
  })
  try {
    if (schema && access === 'create') await db.raw(`create schema if not exists "${schema}"`)
    // A database without secretctl's tables holds no state yet; only a `create` open makes them.
    if (!(await db.schema.hasTable('knex_migrations'))) {
      if (access === 'read-or-empty') {
        await db.destroy()
        return new EmptyStateStore(location, 'postgres')
      }
      if (access !== 'create') throw noStateYet(location)
    }
    // Two first runs at once on a new database: the second finds the first's tables, maybe not yet seeded.
    await prepare(db, {location, fresh: access === 'create', write: writes(access)})
  } catch (err) {
    await db.destroy().catch(() => {})
    throw asStateError(err, location, passwordOf(url))
  }
  return new KnexStateStore(db, {dialect: 'postgres', location})
}

/**
 * Checks that the database is a secretctl state this version knows, migrates it when writing
 * (a reading open reads a state with pending migrations as it is, unless one is needed to read it),
 * and, when `fresh` (a database secretctl is creating the state in), seeds it.
 */
async function prepare(db: Knex, opts: {location: string; fresh: boolean; write: boolean}): Promise<void> {
  const pending = await pendingMigrations(db, opts)
  if (pending.length > 0) {
    if (opts.write) await db.migrate.latest(migratorConfig)
    else if (pending.some((m) => m.neededToRead)) {
      throw new StateError(
        `the state at ${opts.location} was made by an older secretctl and must be upgraded before this one can read it`,
        'a writing command upgrades it: run `secretctl apply` (with the same -d / --state)',
      )
    }
  }
  if (await db('state_meta').first('lineage')) return
  if (!opts.fresh) {
    throw new StateError(
      `the state at ${opts.location} has no lineage record (state_meta is empty)`,
      'the state database is damaged; restore it from a backup',
    )
  }
  await seed(db)
}

/** The migrations not yet applied. Refuses a database that is not a secretctl state, or one a newer secretctl migrated. */
async function pendingMigrations(db: Knex, opts: {location: string; fresh: boolean}) {
  const location = opts.location
  // Read knex_migrations directly: knex's migrate.list() creates its tables when they are missing.
  const tables = await listTables(db)
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
  const applied = new Set(((await db('knex_migrations').select('name')) as {name: string}[]).map((r) => r.name))
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

async function listTables(db: Knex): Promise<string[]> {
  if (db.client.config.client === 'sqlite3') {
    const rows: {name: string}[] = await db('sqlite_master').where({type: 'table'}).whereNot('name', 'like', 'sqlite_%').select('name')
    return rows.map((r) => r.name).sort()
  }
  const rows: {name: string}[] = await db('information_schema.tables')
    .whereRaw('table_schema = current_schema()')
    .select('table_name as name')
  return rows.map((r) => r.name).sort()
}

/** A new state: its lineage, serial 0, a random fingerprint salt and the trust root `default`. */
async function seed(db: Knex): Promise<void> {
  const at = new Date().toISOString()
  try {
    await db.transaction(async (trx) => {
      await trx('state_meta').insert({id: 1, lineage: randomUUID(), serial: 0, salt: randomBytes(32).toString('hex'), created_at: at})
      await trx('backends')
        .insert({
          name: DEFAULT_BACKEND,
          type: TRUST_ROOT_TYPE,
          description: TRUST_ROOT_DESCRIPTION,
          is_default: true,
          config: '{}',
          rotation: null,
          token_meta: null,
          created_at: at,
          updated_at: at,
        })
        .onConflict('name')
        .ignore()
    })
  } catch (err) {
    // Another process seeded the same new state first (Postgres): theirs stands.
    if (await db('state_meta').first('lineage')) return
    throw err
  }
}

function passwordOf(url: string): string | undefined {
  try {
    const p = decodeURIComponent(new URL(url).password)
    return p || undefined
  } catch {
    return undefined
  }
}

/** Wraps a driver error in the user's terms, with the password (if any) masked out of its message. */
function asStateError(err: unknown, location: string, password: string | undefined): StateError {
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
