/**
 * Finds and opens the state database: resolves which one (flag > SECRETCTL_STATE > secretctl.yaml >
 * `<dir>/.secretctl/state.db`), creates a new SQLite file with safe permissions before SQLite
 * touches it, applies pending migrations, and seeds a new state. A run that changes nothing
 * leaves an existing SQLite file byte-for-byte unchanged.
 */
import {randomBytes, randomUUID} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import knexFactory, {type Knex} from 'knex'
import {StateError} from '../errors.js'
import {DEFAULT_BACKEND, TRUST_ROOT_TYPE} from '../backends/trust-root.js'
import {KnexStateStore} from './knex-state-store.js'
import {migratorConfig} from './migrations/migration-source.js'
import {redactUrl} from './redact-url.js'
import type {StateStore} from './types.js'

/** Milliseconds a SQLite connection waits for another process's lock before failing. */
const BUSY_TIMEOUT_MS = 5000

/**
 * knex logs to stdout by default (it would corrupt `--json` output) and its debug output carries
 * query bindings, which can be secret values. Its errors reach us as exceptions; drop its logs.
 */
const SILENT_LOG = {warn() {}, error() {}, deprecate() {}, debug() {}}

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

/**
 * Opens the state at `url` (default: the one in `dir`), migrating and seeding it when needed.
 * With `create: false`, a missing state is a StateError and nothing is created.
 */
export async function openState(opts: {url?: string; dir: string; create?: boolean}): Promise<StateStore> {
  const create = opts.create ?? true
  const target = parseStateUrl(opts.url ?? resolveStateUrl({dir: opts.dir}), opts.dir)
  const location = target.dialect === 'sqlite' ? `sqlite:${target.file}` : redactUrl(target.url)
  const secret = target.dialect === 'postgres' ? passwordOf(target.url) : undefined

  if (target.dialect === 'sqlite' && !fs.existsSync(target.file)) {
    if (!create) throw missingState(location)
    createStateFile(target.file)
  }

  const db = target.dialect === 'sqlite' ? sqliteKnex(target.file) : postgresKnex(target.url)
  try {
    await prepare(db, {create, location})
  } catch (err) {
    await db.destroy().catch(() => {})
    throw asStateError(err, location, secret)
  }
  return new KnexStateStore(db, {dialect: target.dialect, location})
}

/** Creates the directory (0700) and an empty database file (0600) before SQLite opens it. */
function createStateFile(file: string): void {
  const dir = path.dirname(file)
  const created = fs.mkdirSync(dir, {recursive: true, mode: 0o700})
  if (created) fs.chmodSync(dir, 0o700)
  const fd = fs.openSync(file, 'wx', 0o600)
  fs.closeSync(fd)
  fs.chmodSync(file, 0o600)
}

function sqliteKnex(file: string): Knex {
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
      // Per connection, changes nothing in the file. The default rollback journal is kept (no WAL),
      // so a read-only run leaves the database file's bytes as they were. secure_delete zeroes what
      // a write frees: a value moved off a plaintext row (to an encrypted backend, say) does not
      // linger in the file's free space.
      afterCreate(conn: {exec(sql: string, cb: (err: Error | null) => void): void}, done: (err: Error | null, conn: unknown) => void) {
        conn.exec(`PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA secure_delete = ON;`, (err) =>
          done(err, conn),
        )
      },
    },
  })
}

function postgresKnex(url: string): Knex {
  return knexFactory({client: 'pg', connection: url, pool: {min: 0, max: 10}, log: SILENT_LOG, compileSqlOnError: false})
}

/** Migrates only when something is pending (`latest()` writes its lock row even when nothing is), then seeds. */
async function prepare(db: Knex, opts: {create: boolean; location: string}): Promise<void> {
  if (!(await db.schema.hasTable('state_meta')) && !opts.create) throw missingState(opts.location)

  const [, pending] = (await listMigrations(db)) as [unknown[], unknown[]]
  if (pending.length > 0) await db.migrate.latest(migratorConfig)

  if (await db('state_meta').first('lineage')) return
  if (!opts.create) throw missingState(opts.location)
  await seed(db)
}

async function listMigrations(db: Knex): Promise<unknown> {
  try {
    return await db.migrate.list(migratorConfig)
  } catch (err) {
    if (err instanceof Error && /corrupt|missing/i.test(err.message)) {
      throw new StateError('the state database was migrated by a newer secretctl', 'upgrade secretctl to use this state')
    }
    throw err
  }
}

/** A new state: its lineage, serial 0, a random fingerprint salt and the plaintext trust root. */
async function seed(db: Knex): Promise<void> {
  const at = new Date().toISOString()
  try {
    await db.transaction(async (trx) => {
      await trx('state_meta').insert({id: 1, lineage: randomUUID(), serial: 0, salt: randomBytes(32).toString('hex'), created_at: at})
      await trx('backends')
        .insert({
          name: DEFAULT_BACKEND,
          type: TRUST_ROOT_TYPE,
          description: 'built-in plaintext trust root',
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

function missingState(location: string): StateError {
  return new StateError(`no state database at ${location}`, 'run `secretctl apply` or `secretctl plan` first to create it')
}

function passwordOf(url: string): string | undefined {
  try {
    const p = decodeURIComponent(new URL(url).password)
    return p || undefined
  } catch {
    return undefined
  }
}

/** Wraps a driver error, with the password (if any) masked out of its message. */
function asStateError(err: unknown, location: string, password: string | undefined): StateError {
  if (err instanceof StateError) return err
  let message = err instanceof Error ? err.message : String(err)
  if (password) message = message.split(password).join('***')
  return new StateError(
    `cannot open the state at ${location}: ${message}`,
    'check the --state URL, SECRETCTL_STATE or state: in secretctl.yaml, and that the database is reachable',
  )
}
