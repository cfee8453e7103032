/**
 * A reading open of a SQLite state, without knex: the reads a reading run makes (`plan`, `exec`, `get`, …)
 * as plain SQL through sqlite3, and anything else handed to the knex store (knex-state-store.ts), opened
 * the first time it is needed. Loading knex was a fifth of the start of `exec` and of a small `plan`
 * (docs/performance.md, "Issue 18"); a reading run never needs it. The rows become records through
 * state-rows.ts, as the knex store's do, and the open checks what openState's knex path checks for a
 * reading open: the file is a SQLite secretctl state, its migrations leave it readable, it has a lineage.
 * The connection has the knex store's settings (sqlitePragmas), `query_only` among them.
 */
import sqlite3 from 'sqlite3'
import {EmptyStateStore} from './empty-state.js'
import {bytesFingerprinter, fingerprintWith} from './fingerprint.js'
import type {BackendStoredData, KindStateStore} from './kind-state-store.js'
import {asStateError, defaultStateFile, noLineage, noStateYet, pendingMigrations, refuseUnreadable, type StateAccess} from './open-state.js'
import type {RetainedCopyStore} from './retained-copy-store.js'
import {inspectSqliteFile, requireDirectory, sqlitePragmas} from './sqlite-file.js'
import {
  type BackendRow,
  chunks,
  NAMES_PER_STATEMENT,
  pagedSecrets,
  parseJson,
  ROWS_PER_PAGE,
  type RetainedCopyRow,
  rowDataReader,
  SECRET_COLUMNS,
  type SecretRow,
  toBackend,
  toRetainedCopy,
  toSecret,
} from './state-rows.js'
import type {LockHolder, LockInfo, StateLockHandle} from './state-lock.js'
import type {
  AuditEntry,
  AuditRow,
  BackendInput,
  BackendRecord,
  KeyRecord,
  RetainedCopy,
  RotatedToken,
  SecretPlacement,
  SecretRecord,
  SecretValues,
  StateMeta,
  StateStore,
  StateWrite,
  TokenMeta,
} from './types.js'
import fs from 'node:fs'
import path from 'node:path'

type Params = readonly (string | number)[]

/** `a.b as c` → "a"."b" as "c": SECRET_COLUMNS as SQL. */
const SECRET_SELECT = SECRET_COLUMNS.map((c) =>
  c
    .split(' as ')
    .map((part) =>
      part
        .split('.')
        .map((n) => `"${n}"`)
        .join('.'),
    )
    .join(' as '),
).join(', ')
const SECRETS_FROM = `from "secrets" as "s" inner join "backends" as "b" on "b"."id" = "s"."backend_id"`

/**
 * The state at `file` opened for reading without knex; undefined when the knex path must open it instead
 * (a rollback journal left by a crash, which that path removes first). A missing file is what openState
 * makes of it: an empty state for `read-or-empty`, else MissingStateError.
 */
export async function openSqliteReader(file: string, dir: string, access: StateAccess): Promise<StateStore | undefined> {
  const location = `sqlite:${file}`
  if (!inspectSqliteFile(file, location)) {
    // DIR/.secretctl/ is secretctl's: a missing state there is only "not yet"; a directory a person named must exist.
    if (path.dirname(file) !== path.dirname(defaultStateFile(dir))) requireDirectory(file, location)
    if (access === 'read-or-empty') return new EmptyStateStore(location, 'sqlite')
    throw noStateYet(location)
  }
  if (fs.existsSync(`${file}-journal`)) return undefined
  const db = await connect(file).catch((err: unknown) => {
    throw asStateError(err, location, undefined)
  })
  const store = new SqliteReadStore(db, file, dir, location)
  try {
    await store.check()
  } catch (err) {
    await store.close().catch(() => {})
    throw asStateError(err, location, undefined)
  }
  return store
}

/** Opens the existing file read-write (never create: it may vanish meanwhile), as knex's sqlite3 client does, then the pragmas. */
function connect(file: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (err) => {
      if (err) return reject(err)
      db.exec(sqlitePragmas({readOnly: true}), (e) => {
        if (!e) return resolve(db)
        db.close(() => reject(e))
      })
    })
  })
}

export class SqliteReadStore implements StateStore, RetainedCopyStore, KindStateStore {
  readonly dialect = 'sqlite' as const
  readonly exists = true
  private salt?: Promise<Buffer>
  private retainedHasPending?: Promise<boolean>
  /** The knex store, for what this one does not do itself. */
  private full?: Promise<StateStore & RetainedCopyStore & KindStateStore>

  constructor(
    private readonly db: sqlite3.Database,
    private readonly file: string,
    private readonly dir: string,
    readonly location: string,
  ) {}

  /** What openState checks on a reading open (open-knex-state.ts, prepare). */
  async check(): Promise<void> {
    const tables = (
      await this.all<{name: string}>(`select "name" from "sqlite_master" where "type" = 'table' and not "name" like 'sqlite_%'`)
    )
      .map((r) => r.name)
      .sort()
    const applied = async () => (await this.all<{name: string}>('select "name" from "knex_migrations"')).map((r) => r.name)
    refuseUnreadable(await pendingMigrations(tables, applied, {location: this.location, fresh: false}), this.location)
    if ((await this.all('select "lineage" from "state_meta" limit 1')).length === 0) throw noLineage(this.location)
  }

  private all<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))))
  }

  private async first<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return (await this.all<T>(`${sql} limit 1`, params))[0]
  }

  private knexStore(): Promise<StateStore & RetainedCopyStore & KindStateStore> {
    this.full ??= import('./open-knex-state.js').then(
      async ({openKnexState}) =>
        (await openKnexState({dialect: 'sqlite', file: this.file}, this.dir, 'read')) as StateStore & RetainedCopyStore & KindStateStore,
    )
    return this.full
  }

  // ---- what a reading run reads: here ----

  async meta(): Promise<StateMeta> {
    const row = await this.metaRow()
    return {lineage: row.lineage, serial: Number(row.serial)}
  }

  async fingerprint(key: string, value: string): Promise<string> {
    return fingerprintWith(await this.saltBytes(), key, value)
  }

  async fingerprinter(): Promise<(key: string, bytes: Uint8Array) => string> {
    return bytesFingerprinter(await this.saltBytes())
  }

  private saltBytes(): Promise<Buffer> {
    if (!this.salt) {
      this.salt = this.metaRow().then((row) => Buffer.from(row.salt, 'hex'))
      this.salt.catch(() => (this.salt = undefined))
    }
    return this.salt
  }

  private async metaRow(): Promise<{lineage: string; serial: number | string; salt: string}> {
    const row = await this.first<{lineage: string; serial: number | string; salt: string}>(
      'select "lineage", "serial", "salt" from "state_meta"',
    )
    if (!row) throw noLineage(this.location)
    return row
  }

  async listBackends(): Promise<BackendRecord[]> {
    return (await this.all<BackendRow>('select * from "backends" order by "name" asc')).map(toBackend)
  }

  async getBackend(name: string): Promise<BackendRecord | undefined> {
    const row = await this.first<BackendRow>('select * from "backends" where "name" = ?', [name])
    return row ? toBackend(row) : undefined
  }

  listSecrets(): Promise<SecretRecord[]> {
    return pagedSecrets((after) =>
      after === undefined
        ? this.all<SecretRow>(`select ${SECRET_SELECT} ${SECRETS_FROM} order by "s"."name" asc limit ${ROWS_PER_PAGE}`)
        : this.all<SecretRow>(
            `select ${SECRET_SELECT} ${SECRETS_FROM} where "s"."name" > ? order by "s"."name" asc limit ${ROWS_PER_PAGE}`,
            [after],
          ),
    )
  }

  async getSecrets(names: readonly string[]): Promise<SecretRecord[]> {
    const shared = new Map<string, string>()
    const out: SecretRecord[] = []
    for (const chunk of chunks(names, NAMES_PER_STATEMENT)) {
      const where = `where "s"."name" in (${chunk.map(() => '?').join(', ')})`
      for (const r of await this.all<SecretRow>(`select ${SECRET_SELECT} ${SECRETS_FROM} ${where}`, chunk)) out.push(toSecret(r, shared))
    }
    return out
  }

  async getSecret(name: string): Promise<SecretRecord | undefined> {
    const row = await this.first<SecretRow>(`select ${SECRET_SELECT} ${SECRETS_FROM} where "s"."name" = ?`, [name])
    return row ? toSecret(row) : undefined
  }

  readRowData(name: string, onBackend?: string): Promise<SecretValues | null> {
    return this.rowReads(name, onBackend)
  }

  private readonly rowReads = rowDataReader((names) =>
    this.all<{name: string; data: string | null; backend: string}>(
      `select "s"."name", "s"."data", "b"."name" as "backend" ${SECRETS_FROM} where "s"."name" in (${names.map(() => '?').join(', ')})`,
      names,
    ),
  )

  async listRetainedCopies(): Promise<RetainedCopy[]> {
    // A state older than migration 005, read without migrating, has no pending copies to report.
    this.retainedHasPending ??= this.all<{name: string}>('PRAGMA table_info("retained_copies")').then((cols) =>
      cols.some((c) => c.name === 'pending'),
    )
    const rows = await this.all<RetainedCopyRow>(
      `select "r"."secret_name", "b"."name" as "backend", "r"."external_ref", "r"."created_at"${(await this.retainedHasPending) ? ', "r"."pending"' : ''}` +
        ` from "retained_copies" as "r" inner join "backends" as "b" on "b"."id" = "r"."backend_id" order by "r"."secret_name" asc, "b"."name" asc`,
    )
    return rows.map(toRetainedCopy)
  }

  async readRetainedData(secretName: string, backend: string): Promise<SecretValues | null | undefined> {
    const row = await this.first<{data: string | null}>(
      `select "r"."data" from "retained_copies" as "r" inner join "backends" as "b" on "b"."id" = "r"."backend_id" where "r"."secret_name" = ? and "b"."name" = ?`,
      [secretName, backend],
    )
    return row ? parseJson<SecretValues>(row.data) : undefined
  }

  async readKindState(backend: string): Promise<Record<string, unknown> | null> {
    const row = await this.first<{kind_state: string | null}>('select "kind_state" from "backends" where "name" = ?', [backend])
    return row ? parseJson<Record<string, unknown>>(row.kind_state) : null
  }

  async close(): Promise<void> {
    const full = this.full
    this.full = undefined
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())))
    await (await full)?.close()
  }

  // ---- everything else: the knex store (a reading open refuses writes there, as query_only does) ----

  upsertBackend(input: BackendInput): Promise<void> {
    return this.knexStore().then((s) => s.upsertBackend(input))
  }
  setDefaultBackend(name: string): Promise<void> {
    return this.knexStore().then((s) => s.setDefaultBackend(name))
  }
  deleteBackend(name: string): Promise<void> {
    return this.knexStore().then((s) => s.deleteBackend(name))
  }
  setTokenMeta(backend: string, meta: TokenMeta): Promise<void> {
    return this.knexStore().then((s) => s.setTokenMeta(backend, meta))
  }
  persistRotatedToken(p: RotatedToken): Promise<void> {
    return this.knexStore().then((s) => s.persistRotatedToken(p))
  }
  putSecret(p: SecretPlacement): Promise<void> {
    return this.knexStore().then((s) => s.putSecret(p))
  }
  recordKeys(name: string, keys: Record<string, KeyRecord>): Promise<void> {
    return this.knexStore().then((s) => s.recordKeys(name, keys))
  }
  deleteSecret(name: string): Promise<void> {
    return this.knexStore().then((s) => s.deleteSecret(name))
  }
  deleteRetainedCopy(secretName: string, backend: string): Promise<void> {
    return this.knexStore().then((s) => s.deleteRetainedCopy(secretName, backend))
  }
  claimKindState(backend: string, value: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.knexStore().then((s) => s.claimKindState(backend, value))
  }
  rewriteBackendData(
    backend: string,
    rewrite: (current: BackendStoredData) => BackendStoredData | Promise<BackendStoredData>,
  ): ReturnType<KindStateStore['rewriteBackendData']> {
    return this.knexStore().then((s) => s.rewriteBackendData(backend, rewrite))
  }
  missingPrivileges(writes: readonly StateWrite[]): Promise<Map<StateWrite, string[]>> {
    return this.knexStore().then((s) => s.missingPrivileges(writes))
  }
  bumpSerial(): Promise<number> {
    return this.knexStore().then((s) => s.bumpSerial())
  }
  audit(entry: AuditEntry): Promise<void> {
    return this.knexStore().then((s) => s.audit(entry))
  }
  listAudit(opts?: {limit?: number}): Promise<AuditRow[]> {
    return this.knexStore().then((s) => s.listAudit(opts))
  }
  acquireLock(holder: LockHolder, opts: {timeoutMs: number}): Promise<StateLockHandle> {
    return this.knexStore().then((s) => s.acquireLock(holder, opts))
  }
  listLocks(): Promise<LockInfo[]> {
    return this.knexStore().then((s) => s.listLocks())
  }
  removeLock(lockId: string, opts?: {actor?: string}): Promise<boolean> {
    return this.knexStore().then((s) => s.removeLock(lockId, opts))
  }
}
