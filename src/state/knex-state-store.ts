/**
 * The state store over knex: one implementation for SQLite and Postgres. JSON columns are TEXT
 * (stringified and parsed here), timestamps ISO text, booleans normalised from SQLite's 0/1, so
 * the rest of the engine sees the same plain objects whichever database holds the state.
 * Every method that changes something runs in one transaction.
 */
import {createHmac} from 'node:crypto'
import type {Knex} from 'knex'
import {StateError} from '../errors.js'
import type {RetainedCopyStore} from './retained-copy-store.js'
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
  TokenMeta,
} from './types.js'

/** The name of the built-in plaintext backend, the trust root. */
export const DEFAULT_BACKEND = 'default'

/** How many secret names a refused backend delete lists. */
const NAMES_SHOWN = 5

interface BackendRow {
  id: number
  name: string
  type: string
  description: string | null
  is_default: boolean | number
  config: string
  rotation: string | null
  token_meta: string | null
  created_at: string
  updated_at: string
}

interface SecretRow {
  id: number
  name: string
  backend_id: number
  backend: string
  external_ref: string | null
  keys: string
  backend_version: number | string | null
  created_at: string
  updated_at: string
}

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
  /** Clock for timestamps; tests pass a fixed one. */
  now?: () => Date
}

export class KnexStateStore implements StateStore, RetainedCopyStore {
  readonly location: string
  readonly dialect: 'sqlite' | 'postgres'
  private readonly now: () => Date
  private salt?: Promise<Buffer>

  constructor(
    private readonly db: Knex,
    opts: KnexStateStoreOptions,
  ) {
    this.location = opts.location
    this.dialect = opts.dialect
    this.now = opts.now ?? (() => new Date())
  }

  async meta(): Promise<StateMeta> {
    const row = await this.metaRow(this.db)
    return {lineage: row.lineage, serial: Number(row.serial)}
  }

  async fingerprint(key: string, value: string): Promise<string> {
    if (!this.salt) {
      this.salt = this.metaRow(this.db).then((row) => Buffer.from(row.salt, 'hex'))
      this.salt.catch(() => (this.salt = undefined))
    }
    const salt = await this.salt
    return createHmac('sha256', salt).update(`${key}\0${value}`, 'utf8').digest('hex')
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
      throw new StateError('the plaintext backend default is the trust root and cannot be deleted')
    }
    await this.db.transaction(async (trx) => {
      const backend: BackendRow | undefined = await trx('backends').where({name}).first()
      if (!backend) return
      if (isTrue(backend.is_default)) {
        throw new StateError(`backend ${name} is the default backend and cannot be deleted`, 'make another backend the default first (isDefault: true)')
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
      // Copies retained on this backend go with it: the record of a copy on a deleted backend is meaningless.
      await trx('retained_copies').where({backend_id: backend.id}).delete()
      await trx('backends').where({id: backend.id}).delete()
    })
  }

  async setTokenMeta(backend: string, meta: TokenMeta): Promise<void> {
    await this.db.transaction(async (trx) => {
      const count = await trx('backends').where({name: backend}).update({token_meta: JSON.stringify(meta), updated_at: this.timestamp()})
      if (count === 0) throw new StateError(`backend ${backend} does not exist in the state`)
    })
  }

  async persistRotatedToken(p: RotatedToken): Promise<void> {
    const at = this.timestamp()
    await this.db.transaction(async (trx) => {
      const row: {data: string | null; keys: string} | undefined = await trx('secrets').where({name: p.secret}).first('data', 'keys')
      const data = row ? parseJson<SecretValues>(row.data) : null
      if (!row || !data) throw new StateError(`token secret ${p.secret} is not a plaintext row in the state`)
      const keys = parseJson<Record<string, KeyRecord>>(row.keys) ?? {}
      data[p.key] = p.value
      keys[p.key] = {fingerprint: p.fingerprint, source: keys[p.key]?.source ?? 'external', writtenAt: at}
      await trx('secrets').where({name: p.secret}).update({data: JSON.stringify(sortKeys(data)), keys: JSON.stringify(sortKeys(keys)), updated_at: at})
      const count = await trx('backends').where({name: p.backend}).update({token_meta: JSON.stringify(p.tokenMeta), updated_at: at})
      if (count === 0) throw new StateError(`backend ${p.backend} does not exist in the state`)
    })
  }

  // ---- secrets ----

  async listSecrets(): Promise<SecretRecord[]> {
    const rows: SecretRow[] = await this.secretQuery(this.db).orderBy('s.name')
    return rows.map(toSecret)
  }

  async getSecret(name: string): Promise<SecretRecord | undefined> {
    const row: SecretRow | undefined = await this.secretQuery(this.db).where('s.name', name).first()
    return row ? toSecret(row) : undefined
  }

  async readRowData(name: string): Promise<SecretValues | null> {
    const row: {data: string | null} | undefined = await this.db('secrets').where({name}).first('data')
    return row ? parseJson<SecretValues>(row.data) : null
  }

  async putSecret(p: SecretPlacement): Promise<void> {
    const at = this.timestamp()
    await this.db.transaction(async (trx) => {
      const dest = await this.requireBackend(trx, p.backend)
      const fields = {
        backend_id: dest.id,
        external_ref: p.externalRef,
        data: toJson(p.rowData),
        keys: JSON.stringify(sortKeys(p.keys)),
        backend_version: p.backendVersion,
        updated_at: at,
      }
      const updated = await trx('secrets').where({name: p.name}).update(fields)
      if (updated === 0) await trx('secrets').insert({name: p.name, ...fields, created_at: at})

      // Back on a backend where a copy was retained: the row is now the copy.
      await trx('retained_copies').where({secret_name: p.name, backend_id: dest.id}).delete()

      if (p.retainOn && p.retainOn.backend !== p.backend) {
        const kept = await this.requireBackend(trx, p.retainOn.backend)
        await trx('retained_copies')
          .insert({
            secret_name: p.name,
            backend_id: kept.id,
            external_ref: p.retainOn.externalRef,
            data: toJson(p.retainOn.rowData),
            created_at: at,
          })
          .onConflict(['secret_name', 'backend_id'])
          .merge(['external_ref', 'data', 'created_at'])
      }
    })
  }

  /** Removes the row (and its plaintext data). Retained copies elsewhere are kept: they are real copies. */
  async deleteSecret(name: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('secrets').where({name}).delete()
    })
  }

  async listRetainedCopies(): Promise<RetainedCopy[]> {
    const rows: {secret_name: string; backend: string; external_ref: string | null; created_at: string}[] = await this.db('retained_copies as r')
      .join('backends as b', 'b.id', 'r.backend_id')
      .select('r.secret_name', 'b.name as backend', 'r.external_ref', 'r.created_at')
      .orderBy([{column: 'r.secret_name'}, {column: 'b.name'}])
    return rows.map((r) => ({secretName: r.secret_name, backend: r.backend, externalRef: r.external_ref, createdAt: r.created_at}))
  }

  async readRetainedData(secretName: string, backend: string): Promise<SecretValues | null | undefined> {
    const row: {data: string | null} | undefined = await this.db('retained_copies as r')
      .join('backends as b', 'b.id', 'r.backend_id')
      .where({'r.secret_name': secretName, 'b.name': backend})
      .first('r.data')
    return row ? parseJson<SecretValues>(row.data) : undefined
  }

  async deleteRetainedCopy(secretName: string, backend: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const b: BackendRow | undefined = await trx('backends').where({name: backend}).first()
      if (!b) return false
      const n = await trx('retained_copies').where({secret_name: secretName, backend_id: b.id}).delete()
      return n > 0
    })
  }

  // ---- serial and audit ----

  async bumpSerial(): Promise<number> {
    return this.db.transaction(async (trx) => {
      await trx('state_meta').increment('serial', 1)
      return Number((await this.metaRow(trx)).serial)
    })
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('audit').insert({
        at: this.timestamp(),
        run_id: entry.runId,
        actor: entry.actor,
        address: entry.address,
        action: entry.action,
        outcome: entry.outcome,
        detail: entry.detail ?? null,
      })
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

  acquireLock(holder: LockHolder, opts: {timeoutMs: number}): Promise<StateLockHandle> {
    return acquireLock(this.db, this.dialect, holder, {timeoutMs: opts.timeoutMs, now: this.now})
  }

  listLocks(): Promise<LockInfo[]> {
    return listLocks(this.db)
  }

  removeLock(lockId: string): Promise<boolean> {
    return removeLock(this.db, lockId)
  }

  async close(): Promise<void> {
    await this.db.destroy()
  }

  // ---- helpers ----

  private timestamp(): string {
    return this.now().toISOString()
  }

  private async metaRow(q: Knex | Knex.Transaction): Promise<{lineage: string; serial: number | string; salt: string}> {
    const row = await q('state_meta').first('lineage', 'serial', 'salt')
    if (!row) throw new StateError(`the state at ${this.location} has no lineage record (state_meta is empty)`, 'the state database is damaged; restore it from a backup')
    return row
  }

  private async requireBackend(trx: Knex.Transaction, name: string): Promise<BackendRow> {
    const row: BackendRow | undefined = await trx('backends').where({name}).first()
    if (!row) throw new StateError(`backend ${name} does not exist in the state`, `declare it (kind: SecretBackend, name: ${name}) and apply`)
    return row
  }

  private secretQuery(q: Knex | Knex.Transaction): Knex.QueryBuilder {
    return q('secrets as s')
      .join('backends as b', 'b.id', 's.backend_id')
      .select('s.id', 's.name', 's.backend_id', 'b.name as backend', 's.external_ref', 's.keys', 's.backend_version', 's.created_at', 's.updated_at')
  }
}

function toBackend(r: BackendRow): BackendRecord {
  return {
    id: Number(r.id),
    name: r.name,
    type: r.type,
    description: r.description,
    isDefault: isTrue(r.is_default),
    config: parseJson<Record<string, unknown>>(r.config) ?? {},
    rotation: parseJson<Record<string, unknown>>(r.rotation),
    tokenMeta: parseJson<TokenMeta>(r.token_meta),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function toSecret(r: SecretRow): SecretRecord {
  return {
    id: Number(r.id),
    name: r.name,
    backendId: Number(r.backend_id),
    backend: r.backend,
    externalRef: r.external_ref,
    keys: sortKeys(parseJson<Record<string, KeyRecord>>(r.keys) ?? {}),
    backendVersion: r.backend_version === null ? null : Number(r.backend_version),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

/** SQLite returns booleans as 0/1, Postgres as true/false. */
function isTrue(v: boolean | number | string): boolean {
  return v === true || v === 1 || v === '1' || v === 't' || v === 'true'
}

function toJson(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v)
}

/** Parses a JSON column. A parse error must not echo the text: the column may hold secret values. */
function parseJson<T>(text: string | null): T | null {
  if (text === null || text === undefined) return null
  try {
    return JSON.parse(text) as T
  } catch {
    throw new StateError('the state database holds a malformed JSON column', 'the state database is damaged; restore it from a backup')
  }
}

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]!]))
}
