/**
 * Opening the state through knex: SQLite for writing (creating, migrating, checking the file first) and
 * Postgres for everything. Imported by openState (open-state.ts) only when a run needs it, so that a
 * reading run on SQLite never loads knex.
 */
import {randomBytes, randomUUID} from 'node:crypto'
import path from 'node:path'
import knexFactory, {type Knex} from 'knex'
import {EmptyStateStore} from './empty-state.js'
import {SILENT_LOG, silenceKnexDebug} from './knex-debug.js'
import {DEFAULT_BACKEND, TRUST_ROOT_DESCRIPTION, TRUST_ROOT_TYPE} from '../backends/trust-root.js'
import {KnexStateStore} from './knex-state-store.js'
import {migratorConfig} from './migrations/migration-source.js'
import {
  asStateError,
  defaultStateFile,
  passwordOf,
  noLineage,
  noStateYet,
  pendingMigrations,
  postgresSchema,
  refuseUnreadable,
  type StateAccess,
  type StateTarget,
  writes,
} from './open-state.js'
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
import type {StateStore} from './types.js'

silenceKnexDebug()

/** Opens the state `target` through knex (see openState). */
export function openKnexState(target: StateTarget, dir: string, access: StateAccess): Promise<StateStore> {
  return target.dialect === 'sqlite' ? openSqlite(target.file, dir, access) : openPostgres(target.url, access)
}

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
  const db = await sqliteKnex(file, {readOnly: !writes(access)})
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
  // Read knex_migrations directly: knex's migrate.list() creates its tables when they are missing.
  const applied = async () => ((await db('knex_migrations').select('name')) as {name: string}[]).map((r) => r.name)
  const pending = await pendingMigrations(await listTables(db), applied, opts)
  if (pending.length > 0) {
    if (opts.write) await db.migrate.latest(migratorConfig)
    else refuseUnreadable(pending, opts.location)
  }
  if (await db('state_meta').first('lineage')) return
  if (!opts.fresh) throw noLineage(opts.location)
  await seed(db)
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
