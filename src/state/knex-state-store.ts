/**
 * The state store over knex: one implementation for SQLite and Postgres. JSON columns are TEXT
 * (stringified and parsed here), timestamps ISO text, booleans normalised from SQLite's 0/1, so
 * the rest of the engine sees the same plain objects whichever database holds the state.
 * Every method that changes something runs in one transaction.
 */
import {bytesFingerprinter, fingerprintWith} from './fingerprint.js'
import type {Knex} from 'knex'
import {StateError} from '../errors.js'
import type {RetainedCopyStore} from './retained-copy-store.js'
import type {BackendStoredData, KindStateStore} from './kind-state-store.js'
import {GroupCommit, type BatchWriter} from './group-commit.js'
import {missingPostgresPrivileges, missingSqlitePrivileges} from './state-privileges.js'
import {acquireLock, listLocks, removeLock, type LockHolder, type LockInfo, type StateLockHandle} from './state-lock.js'
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

import {DEFAULT_BACKEND, TRUST_ROOT_TYPE} from '../backends/trust-root.js'
import {
  type BackendRow,
  chunks,
  isTrue,
  NAMES_PER_STATEMENT,
  pagedSecrets,
  parseJson,
  type RetainedCopyRow,
  ROWS_PER_PAGE,
  rowDataReader,
  SECRET_COLUMNS,
  type SecretRow,
  sortKeys,
  toBackend,
  toRetainedCopy,
  toSecret,
} from './state-rows.js'

/** How many secret names a refused backend delete lists. */
const NAMES_SHOWN = 5

/**
 * Rows per multi-row INSERT: a group commit's writes (group-commit.ts, usually fewer than 500) in one
 * statement, since each statement costs the main thread about as much as its rows (node-sqlite3
 * hands every statement to a worker thread twice: docs/performance.md). On SQLite the rows are one
 * bound JSON array (rowsFromJson); on Postgres, at 8 bindings a row, 4,000, under its 65,535.
 */
const ROWS_PER_INSERT = 500

/**
 * The hot multi-row INSERTs of a group commit, as SQL written once per row count rather than built by
 * knex's query builder for every group (compiling 100 rows of bindings was about a tenth of the state's
 * CPU in a migration: docs/performance.md). Plain SQL both SQLite and Postgres take (`ON CONFLICT … DO
 * UPDATE SET … = excluded.…`, double-quoted names), the statements knex built for them.
 *
 * On SQLite the rows go as one JSON array bound once and unpacked by `json_each` (rowsFromJson): the
 * sqlite3 driver converts each bound value on the main thread (~0.6 µs each, 80,000 for a move of
 * 10,000), and a statement whose text varies with the row count was parsed anew by SQLite for each
 * group; one string is stringified at V8's speed and the statement's text is always the same.
 */
interface RowsInsert {
  table: string
  columns: readonly string[]
  /** Columns an existing row (by `conflict`) takes from the new one. */
  merge?: readonly string[]
  conflict?: string
  /** SQL by row count. */
  sql: Map<number, string>
  /** The SQLite statement taking all rows as one JSON array (rowsFromJson). */
  fromJson?: string
}

const SECRET_UPSERT: RowsInsert = {
  table: 'secrets',
  columns: ['name', 'backend_id', 'external_ref', 'data', 'keys', 'backend_version', 'updated_at', 'created_at'],
  conflict: 'name',
  merge: ['backend_id', 'external_ref', 'data', 'keys', 'backend_version', 'updated_at'],
  sql: new Map(),
}

const AUDIT_INSERT: RowsInsert = {
  table: 'audit',
  columns: ['at', 'run_id', 'actor', 'address', 'action', 'outcome', 'detail'],
  sql: new Map(),
}

/** An audit row's columns, as AUDIT_INSERT binds them. */
type AuditInsert = Omit<AuditDbRow, 'id'>

/** `insert into "table" ("column", …)`, the start of both forms of an insert. */
function insertInto(insert: RowsInsert): string {
  return `insert into "${insert.table}" (${insert.columns.map((c) => `"${c}"`).join(', ')})`
}

/** ` on conflict ("key") do update set "column" = excluded."column", …` for an upsert; '' for a plain insert. */
function onConflict(insert: RowsInsert): string {
  if (!insert.conflict || !insert.merge) return ''
  return ` on conflict ("${insert.conflict}") do update set ${insert.merge.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`
}

/** The INSERT of `rows` rows (bindings: each row's values in `columns` order). */
function rowsInsert(insert: RowsInsert, rows: number): string {
  let sql = insert.sql.get(rows)
  if (sql === undefined) {
    const row = `(${insert.columns.map(() => '?').join(', ')})`
    sql = `${insertInto(insert)} values ${Array(rows).fill(row).join(', ')}${onConflict(insert)}`
    insert.sql.set(rows, sql)
  }
  return sql
}

/**
 * SQLite: the INSERT of the rows of one JSON array of arrays (each row's values in `columns` order), bound
 * as its one parameter. `->>` gives a JSON string as text, a number as an integer or real, null as NULL:
 * the values the bindings gave. (`where true` lets SQLite's parser tell the upsert clause from a join's.)
 */
function rowsFromJson(insert: RowsInsert): string {
  insert.fromJson ??= `${insertInto(insert)} select ${insert.columns.map((_, i) => `value ->> ${i}`).join(', ')} from json_each(?) where true${onConflict(insert)}`
  return insert.fromJson
}

/** SQLite: secrets' stored data and backends by name, the names bound as one JSON array (see rowsFromJson). */
const ROW_DATA_FROM_JSON =
  'select "s"."name", "s"."data", "b"."name" as "backend" from "secrets" as "s" join "backends" as "b" on "b"."id" = "s"."backend_id" where "s"."name" in (select value from json_each(?))'

interface AuditDbRow {
  id: number
  at: string
  run_id: string
  actor: string
  address: string
  action: string
  outcome: string
  detail: string | null
}

export interface KnexStateStoreOptions {
  dialect: 'sqlite' | 'postgres'
  /** Redacted description of where the state is. */
  location: string
  /** The SQLite file (absent on Postgres). */
  file?: string
  /** Clock for timestamps; tests pass a fixed one. */
  now?: () => Date
}

export class KnexStateStore implements StateStore, RetainedCopyStore, KindStateStore {
  readonly location: string
  readonly dialect: 'sqlite' | 'postgres'
  readonly exists = true
  private readonly now: () => Date
  private salt?: Promise<Buffer>
  /** The hot writes of an apply (placements, deletes, audit rows) commit in groups. */
  private readonly writes: GroupCommit
  private readonly backendIds = new Map<string, number>()
  private lastStamp = {ms: Number.NaN, text: ''}
  private retainedHasPending?: Promise<boolean>
  /** Whether this store holds the state lock (acquireLock): nothing else writes the state meanwhile. */
  private lockHeld = false
  /** Known while the lock is held: the state has no retained copies (writePlacements looked, and recorded none since). */
  private noRetainedCopies = false
  private readonly file?: string

  constructor(
    private readonly db: Knex,
    opts: KnexStateStoreOptions,
  ) {
    this.writes = new GroupCommit(db)
    this.location = opts.location
    this.dialect = opts.dialect
    this.file = opts.file
    this.now = opts.now ?? (() => new Date())
  }

  async meta(): Promise<StateMeta> {
    const row = await this.metaRow(this.db)
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
      this.salt = this.metaRow(this.db).then((row) => Buffer.from(row.salt, 'hex'))
      this.salt.catch(() => (this.salt = undefined))
    }
    return this.salt
  }

  // ---- backends ----

  async listBackends(): Promise<BackendRecord[]> {
    const rows: BackendRow[] = await this.db('backends').select('*').orderBy('name')
    return rows.map(toBackend)
  }

  async getBackend(name: string): Promise<BackendRecord | undefined> {
    const row: BackendRow | undefined = await this.db('backends').where({name}).first()
    return row ? toBackend(row) : undefined
  }

  async upsertBackend(input: BackendInput): Promise<void> {
    const at = this.timestamp()
    await this.db.transaction(async (trx) => {
      await trx('backends')
        .insert({
          name: input.name,
          type: input.type,
          description: input.description,
          is_default: false,
          config: JSON.stringify(input.config ?? {}),
          rotation: toJson(input.rotation),
          token_meta: null,
          created_at: at,
          updated_at: at,
        })
        .onConflict('name')
        .merge(['type', 'description', 'config', 'rotation', 'updated_at'])
    })
  }

  async setDefaultBackend(name: string): Promise<void> {
    const at = this.timestamp()
    await this.db.transaction(async (trx) => {
      await this.requireBackend(trx, name)
      await trx('backends').whereNot({name}).andWhere({is_default: true}).update({is_default: false, updated_at: at})
      await trx('backends').where({name}).update({is_default: true, updated_at: at})
    })
  }

  async deleteBackend(name: string): Promise<void> {
    if (name === DEFAULT_BACKEND) {
      throw new StateError(`the ${TRUST_ROOT_TYPE} backend ${DEFAULT_BACKEND} is the trust root and cannot be deleted`)
    }
    await this.db.transaction(async (trx) => {
      const backend: BackendRow | undefined = await trx('backends').where({name}).first()
      if (!backend) return
      if (isTrue(backend.is_default)) {
        throw new StateError(
          `backend ${name} is the default backend and cannot be deleted`,
          'make another backend the default first (isDefault: true)',
        )
      }
      const secrets: {name: string}[] = await trx('secrets').where({backend_id: backend.id}).select('name').orderBy('name')
      if (secrets.length > 0) {
        const shown = secrets.slice(0, NAMES_SHOWN).map((s) => s.name)
        const more = secrets.length > NAMES_SHOWN ? `, and ${secrets.length - NAMES_SHOWN} more` : ''
        throw new StateError(
          `backend ${name} still holds ${secrets.length} secret${secrets.length === 1 ? '' : 's'} (${shown.join(', ')}${more})`,
          'move or delete those secrets first (apply with --prune)',
        )
      }
      // A copy kept on this backend is deleted (by apply, through the driver) before the backend: its
      // record must never disappear while the copy may still exist.
      const copies: {secret_name: string}[] = await trx('retained_copies')
        .where({backend_id: backend.id})
        .select('secret_name')
        .orderBy('secret_name')
      if (copies.length > 0) {
        throw new StateError(
          `backend ${name} still holds ${copies.length} retained cop${copies.length === 1 ? 'y' : 'ies'} (${copies
            .slice(0, NAMES_SHOWN)
            .map((c) => c.secret_name)
            .join(', ')})`,
          'plan again with --prune: the plan deletes the copies before the backend',
        )
      }
      await trx('backends').where({id: backend.id}).delete()
    })
    this.backendIds.delete(name)
  }

  async setTokenMeta(backend: string, meta: TokenMeta): Promise<void> {
    await this.db.transaction(async (trx) => {
      const count = await trx('backends')
        .where({name: backend})
        .update({token_meta: JSON.stringify(meta), updated_at: this.timestamp()})
      if (count === 0) throw new StateError(`backend ${backend} does not exist in the state`)
    })
  }

  async persistRotatedToken(p: RotatedToken): Promise<void> {
    const at = this.timestamp()
    await this.db.transaction(async (trx) => {
      const row: {data: string | null; keys: string} | undefined = await trx('secrets').where({name: p.secret}).first('data', 'keys')
      const data = row ? parseJson<SecretValues>(row.data) : null
      if (!row || !data) throw new StateError(`token secret ${p.secret} is not a row holding its values in the state (on the trust root)`)
      const keys = parseJson<Record<string, KeyRecord>>(row.keys) ?? {}
      data[p.key] = p.value
      keys[p.key] = {
        fingerprint: p.fingerprint,
        source: keys[p.key]?.source ?? 'external',
        writtenAt: at,
        ...(p.scan ? {scan: p.scan} : {}),
      }
      await trx('secrets')
        .where({name: p.secret})
        .update({data: JSON.stringify(sortKeys(data)), keys: JSON.stringify(sortKeys(keys)), updated_at: at})
      const count = await trx('backends')
        .where({name: p.backend})
        .update({token_meta: JSON.stringify(p.tokenMeta), updated_at: at})
      if (count === 0) throw new StateError(`backend ${p.backend} does not exist in the state`)
    })
  }

  // ---- secrets ----

  listSecrets(): Promise<SecretRecord[]> {
    return pagedSecrets((after) => {
      const q = this.secretQuery(this.db).orderBy('s.name').limit(ROWS_PER_PAGE)
      return after === undefined ? q : q.where('s.name', '>', after)
    })
  }

  async getSecrets(names: readonly string[]): Promise<SecretRecord[]> {
    const shared = new Map<string, string>()
    const out: SecretRecord[] = []
    for (const chunk of chunks(names, NAMES_PER_STATEMENT)) {
      const rows: SecretRow[] = await this.secretQuery(this.db).whereIn('s.name', chunk)
      for (const r of rows) out.push(toSecret(r, shared))
    }
    return out
  }

  async getSecret(name: string): Promise<SecretRecord | undefined> {
    const row: SecretRow | undefined = await this.secretQuery(this.db).where('s.name', name).first()
    return row ? toSecret(row) : undefined
  }

  readRowData(name: string, onBackend?: string): Promise<SecretValues | null> {
    return this.rowReads(name, onBackend)
  }

  putSecret(p: SecretPlacement): Promise<void> {
    return this.writes.write(this.writePlacements, {...p, at: this.timestamp()})
  }

  async recordKeys(name: string, keys: Record<string, KeyRecord>): Promise<void> {
    const count = await this.db('secrets')
      .where({name})
      .update({keys: JSON.stringify(sortKeys(keys)), updated_at: this.timestamp()})
    if (count === 0) throw new StateError(`secret ${name} does not exist in the state`)
  }

  /** Removes the row (and its plaintext data). Retained copies elsewhere are kept: they are real copies. */
  deleteSecret(name: string): Promise<void> {
    return this.writes.write(this.deleteRows, name)
  }

  async listRetainedCopies(): Promise<RetainedCopy[]> {
    // A state older than migration 005, read without migrating, has no pending copies to report.
    this.retainedHasPending ??= this.db.schema.hasColumn('retained_copies', 'pending')
    const columns = [
      'r.secret_name',
      'b.name as backend',
      'r.external_ref',
      'r.created_at',
      ...((await this.retainedHasPending) ? ['r.pending'] : []),
    ]
    const rows: RetainedCopyRow[] = await this.db('retained_copies as r')
      .join('backends as b', 'b.id', 'r.backend_id')
      .select(columns)
      .orderBy([{column: 'r.secret_name'}, {column: 'b.name'}])
    return rows.map(toRetainedCopy)
  }

  async readRetainedData(secretName: string, backend: string): Promise<SecretValues | null | undefined> {
    const row: {data: string | null} | undefined = await this.db('retained_copies as r')
      .join('backends as b', 'b.id', 'r.backend_id')
      .where({'r.secret_name': secretName, 'b.name': backend})
      .first('r.data')
    return row ? parseJson<SecretValues>(row.data) : undefined
  }

  deleteRetainedCopy(secretName: string, backend: string): Promise<void> {
    return this.writes.write(this.deleteRetained, {secretName, backend})
  }

  // ---- a kind's own state (kind-state-store.ts) ----

  async readKindState(backend: string): Promise<Record<string, unknown> | null> {
    const row: {kind_state: string | null} | undefined = await this.db('backends').where({name: backend}).first('kind_state')
    return row ? parseJson<Record<string, unknown>>(row.kind_state) : null
  }

  async claimKindState(backend: string, value: Record<string, unknown>): Promise<Record<string, unknown>> {
    // One conditional UPDATE: of two runs claiming at once, exactly one sets it; both read the winner.
    const count = await this.db('backends')
      .where({name: backend})
      .whereNull('kind_state')
      .update({kind_state: JSON.stringify(value), updated_at: this.timestamp()})
    const stored = await this.readKindState(backend)
    if (!stored) throw new StateError(`backend ${backend} does not exist in the state`)
    return count > 0 ? value : stored
  }

  async rewriteBackendData(
    backend: string,
    rewrite: (current: BackendStoredData) => BackendStoredData | Promise<BackendStoredData>,
  ): Promise<number> {
    return this.db.transaction(async (trx) => {
      const b: BackendRow | undefined = await trx('backends').where({name: backend}).first()
      if (!b) throw new StateError(`backend ${backend} does not exist in the state`)
      const rows: {name: string; data: string}[] = await trx('secrets')
        .where({backend_id: b.id})
        .whereNotNull('data')
        .select('name', 'data')
      const copies: {secret_name: string; data: string}[] = await trx('retained_copies')
        .where({backend_id: b.id})
        .whereNotNull('data')
        .select('secret_name', 'data')
      const current: BackendStoredData = {
        kindState: parseJson<Record<string, unknown>>(b.kind_state ?? null),
        rows: Object.fromEntries(rows.map((r) => [r.name, parseJson<SecretValues>(r.data) ?? {}])),
        retained: Object.fromEntries(copies.map((c) => [c.secret_name, parseJson<SecretValues>(c.data) ?? {}])),
      }
      const next = await rewrite(current)
      const at = this.timestamp()
      await trx('backends')
        .where({id: b.id})
        .update({kind_state: toJson(next.kindState), updated_at: at})
      let updated = 0
      for (const [name, data] of Object.entries(next.rows)) {
        if (!Object.hasOwn(current.rows, name)) continue
        updated += await trx('secrets')
          .where({name, backend_id: b.id})
          .update({data: JSON.stringify(data), updated_at: at})
      }
      for (const [name, data] of Object.entries(next.retained)) {
        if (!Object.hasOwn(current.retained, name)) continue
        updated += await trx('retained_copies')
          .where({secret_name: name, backend_id: b.id})
          .update({data: JSON.stringify(data)})
      }
      return updated
    })
  }

  // ---- privileges (state-privileges.ts) ----

  async missingPrivileges(writes: readonly StateWrite[]): Promise<Map<StateWrite, string[]>> {
    if (this.dialect === 'postgres') return missingPostgresPrivileges(this.db, writes)
    return this.file ? missingSqlitePrivileges(this.file, writes) : new Map()
  }

  // ---- serial and audit ----

  async bumpSerial(): Promise<number> {
    return this.db.transaction(async (trx) => {
      await trx('state_meta').increment('serial', 1)
      return Number((await this.metaRow(trx)).serial)
    })
  }

  audit(entry: AuditEntry): Promise<void> {
    return this.writes.write(this.insertAudit, {
      at: this.timestamp(),
      run_id: entry.runId,
      actor: entry.actor,
      address: entry.address,
      action: entry.action,
      outcome: entry.outcome,
      detail: entry.detail ?? null,
    })
  }

  async listAudit(opts: {limit?: number} = {}): Promise<AuditRow[]> {
    let q = this.db('audit').select('*').orderBy('id', 'desc')
    if (opts.limit !== undefined) q = q.limit(opts.limit)
    const rows: AuditDbRow[] = await q
    return rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      runId: r.run_id,
      actor: r.actor,
      address: r.address,
      action: r.action,
      outcome: r.outcome,
      ...(r.detail !== null ? {detail: r.detail} : {}),
    }))
  }

  // ---- lock ----

  async acquireLock(holder: LockHolder, opts: {timeoutMs: number}): Promise<StateLockHandle> {
    const handle = await acquireLock(this.db, this.dialect, holder, {timeoutMs: opts.timeoutMs, now: this.now})
    this.lockHeld = true
    return {
      ...handle,
      release: () => {
        this.lockHeld = false
        this.noRetainedCopies = false
        return handle.release()
      },
    }
  }

  listLocks(): Promise<LockInfo[]> {
    return listLocks(this.db)
  }

  removeLock(lockId: string, opts: {actor?: string} = {}): Promise<boolean> {
    return removeLock(this.db, lockId, {...opts, at: this.timestamp()})
  }

  async close(): Promise<void> {
    await this.db.destroy()
  }

  // ---- batched reads and writes (see group-commit.ts) ----

  private readonly rowReads = rowDataReader((names) =>
    this.dialect === 'sqlite'
      ? this.db.raw(ROW_DATA_FROM_JSON, [JSON.stringify(names)])
      : this.db('secrets as s')
          .join('backends as b', 'b.id', 's.backend_id')
          .whereIn('s.name', names)
          .select('s.name', 's.data', 'b.name as backend'),
  )

  /** Create rows or flip them to new placements; forget copies retained where they now are; record copies left behind. */
  private readonly writePlacements: BatchWriter<SecretPlacement & {at: string}> = async (trx, placements) => {
    const placed: Array<{name: string; backendId: number}> = []
    for (const chunk of chunks(placements, ROWS_PER_INSERT)) {
      // Each row's values in SECRET_UPSERT's column order.
      const rows: Array<Array<string | number | null>> = []
      for (const p of chunk) {
        const backendId = await this.backendId(trx, p.backend)
        placed.push({name: p.name, backendId})
        rows.push([
          p.name,
          backendId,
          p.externalRef ?? null,
          toJson(p.rowData),
          JSON.stringify(sortKeys(p.keys)),
          p.backendVersion ?? null,
          p.at,
          p.at,
        ])
      }
      await this.insertRows(trx, SECRET_UPSERT, rows)
    }
    // Back on a backend where a copy was retained: the row is now the copy. (Usually there are no
    // retained copies at all: one look saves a delete per group, and while this store holds the lock
    // and has recorded none, one look saves the next ones: nothing else may write the state then.)
    const anyRetained = this.noRetainedCopies ? undefined : await trx('retained_copies').first('id')
    if (!anyRetained && this.lockHeld) this.noRetainedCopies = true
    const byBackend = anyRetained
      ? namesBy(
          placed,
          (r) => r.backendId,
          (r) => r.name,
        )
      : new Map<number, string[]>()
    for (const [backendId, names] of byBackend) {
      for (const chunk of chunks(names, NAMES_PER_STATEMENT))
        await trx('retained_copies').where({backend_id: backendId}).whereIn('secret_name', chunk).delete()
    }
    for (const p of placements) {
      if (!p.retainOn || p.retainOn.backend === p.backend) continue
      this.noRetainedCopies = false
      await trx('retained_copies')
        .insert({
          secret_name: p.name,
          backend_id: await this.backendId(trx, p.retainOn.backend),
          external_ref: p.retainOn.externalRef,
          data: toJson(p.retainOn.rowData),
          pending: p.retainOn.pending ?? false,
          created_at: p.at,
        })
        .onConflict(['secret_name', 'backend_id'])
        .merge(['external_ref', 'data', 'pending', 'created_at'])
    }
  }

  private readonly deleteRows: BatchWriter<string> = async (trx, names) => {
    for (const chunk of chunks(names, NAMES_PER_STATEMENT)) await trx('secrets').whereIn('name', chunk).delete()
  }

  private readonly deleteRetained: BatchWriter<{secretName: string; backend: string}> = async (trx, copies) => {
    for (const [backend, names] of namesBy(
      copies,
      (c) => c.backend,
      (c) => c.secretName,
    )) {
      for (const chunk of chunks(names, NAMES_PER_STATEMENT)) {
        await trx('retained_copies')
          .whereIn('backend_id', trx('backends').select('id').where({name: backend}))
          .whereIn('secret_name', chunk)
          .delete()
      }
    }
  }

  private readonly insertAudit: BatchWriter<AuditInsert> = async (trx, rows) => {
    for (const chunk of chunks(rows, ROWS_PER_INSERT)) {
      await this.insertRows(
        trx,
        AUDIT_INSERT,
        chunk.map((r) => [r.at, r.run_id, r.actor, r.address, r.action, r.outcome, r.detail]),
      )
    }
  }

  /** Inserts rows (each one's values in the insert's column order) in one statement: on SQLite as one JSON array, else bound one by one. */
  private async insertRows(trx: Knex.Transaction, insert: RowsInsert, rows: Array<Array<string | number | null>>): Promise<void> {
    if (this.dialect === 'sqlite') await trx.raw(rowsFromJson(insert), [JSON.stringify(rows)])
    else await trx.raw(rowsInsert(insert, rows.length), rows.flat())
  }

  // ---- helpers ----

  /** The clock's time as ISO text; the text of the last millisecond asked is kept (a group commit stamps hundreds alike). */
  private timestamp(): string {
    const at = this.now()
    if (at.getTime() !== this.lastStamp.ms) this.lastStamp = {ms: at.getTime(), text: at.toISOString()}
    return this.lastStamp.text
  }

  private async metaRow(q: Knex | Knex.Transaction): Promise<{lineage: string; serial: number | string; salt: string}> {
    const row = await q('state_meta').first('lineage', 'serial', 'salt')
    if (!row)
      throw new StateError(
        `the state at ${this.location} has no lineage record (state_meta is empty)`,
        'the state database is damaged; restore it from a backup',
      )
    return row
  }

  /**
   * A backend's row id, looked up once per store: ids never change while the row exists, and a
   * delete through this store forgets it (a write naming a vanished id fails on the foreign key).
   */
  private async backendId(trx: Knex.Transaction, name: string): Promise<number> {
    const known = this.backendIds.get(name)
    if (known !== undefined) return known
    const id = Number((await this.requireBackend(trx, name)).id)
    this.backendIds.set(name, id)
    return id
  }

  private async requireBackend(trx: Knex.Transaction, name: string): Promise<BackendRow> {
    const row: BackendRow | undefined = await trx('backends').where({name}).first()
    if (!row)
      throw new StateError(`backend ${name} does not exist in the state`, `declare it (kind: SecretBackend, name: ${name}) and apply`)
    return row
  }

  private secretQuery(q: Knex | Knex.Transaction): Knex.QueryBuilder {
    return q('secrets as s')
      .join('backends as b', 'b.id', 's.backend_id')
      .select(...SECRET_COLUMNS)
  }
}

function toJson(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v)
}

/** Secret names grouped by a key (a backend), in the order they came. */
function namesBy<T, K>(items: readonly T[], keyOf: (item: T) => K, nameOf: (item: T) => string): Map<K, string[]> {
  const out = new Map<K, string[]>()
  for (const item of items) {
    const names = out.get(keyOf(item))
    if (names) names.push(nameOf(item))
    else out.set(keyOf(item), [nameOf(item)])
  }
  return out
}
