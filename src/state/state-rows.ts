/**
 * The state's rows as records: the column lists and conversions both readers of the state use (the
 * knex store, knex-state-store.ts, and SQLite's reader without knex, sqlite-read-store.ts), so the two
 * read a row alike.
 */
import DataLoader from 'dataloader'
import {StateError} from '../errors.js'
import type {BackendRecord, KeyRecord, RetainedCopy, SecretRecord, SecretValues, TokenMeta} from './types.js'
import {intern} from '../intern.js'

/** Names per `IN (…)` list. */
export const NAMES_PER_STATEMENT = 500

/**
 * Rows per query when reading every secret row, one page after another by name. sqlite3 gathers a
 * query's whole result in native memory on a worker thread before handing it over, and that memory
 * stays with the process: one query for 100,000 rows was ~170 MiB of RSS, a second as much again
 * (docs/performance.md, peak RSS at 100,000). Pages of this size keep it to a few MiB, reused.
 */
export const ROWS_PER_PAGE = 2000

/**
 * Every secret row, read a page at a time in name order (`page(after)`: the rows after that name,
 * or from the first, at most ROWS_PER_PAGE), as records sharing their repeated strings.
 */
export async function pagedSecrets(page: (after: string | undefined) => Promise<SecretRow[]>): Promise<SecretRecord[]> {
  // A row's backend, timestamps and key sources repeat across rows (a group commit stamps hundreds
  // alike): one string each instead of a copy per row (three timestamps per row were 11 MiB at 100,000).
  const shared = new Map<string, string>()
  const out: SecretRecord[] = []
  // Promise.resolve: a knex query runs when it is awaited, and the next page's should run at once.
  let pending = Promise.resolve(page(undefined))
  for (;;) {
    const rows = await pending
    const full = rows.length === ROWS_PER_PAGE
    // The next page is read (on the database's side: SQLite's worker thread, or the server) while this
    // one is made into records, instead of after: a page's query was an idle wait of the main thread.
    if (full) pending = Promise.resolve(page((rows.at(-1) as SecretRow).name))
    try {
      for (const r of rows) out.push(toSecret(r, shared))
    } catch (err) {
      // A damaged row: the page read meanwhile is not waited for, and its failure (if any) not reported twice.
      if (full) pending.catch(() => undefined)
      throw err
    }
    if (!full) return out
  }
}

/** A secret row's columns, with its backend's name (`secrets as s` joined to `backends as b`). */
export const SECRET_COLUMNS = [
  's.id',
  's.name',
  's.backend_id',
  'b.name as backend',
  's.external_ref',
  's.keys',
  's.backend_version',
  's.created_at',
  's.updated_at',
] as const

export interface BackendRow {
  id: number
  name: string
  type: string
  description: string | null
  is_default: boolean | number
  config: string
  rotation: string | null
  token_meta: string | null
  /** Since migration 004; absent in rows read before it ran. */
  kind_state?: string | null
  created_at: string
  updated_at: string
}

export interface SecretRow {
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

export function toBackend(r: BackendRow): BackendRecord {
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

/** `shared`: strings already seen in earlier rows of the same read, reused instead of copied. */
export function toSecret(r: SecretRow, shared?: Map<string, string>): SecretRecord {
  const keys = sortKeys(parseJson<Record<string, KeyRecord>>(r.keys) ?? {})
  for (const record of Object.values(keys)) {
    if (typeof record.source === 'string') record.source = one(shared, record.source)
    if (typeof record.writtenAt === 'string') record.writtenAt = one(shared, record.writtenAt)
  }
  return {
    id: Number(r.id),
    name: r.name,
    backendId: Number(r.backend_id),
    backend: one(shared, r.backend),
    externalRef: r.external_ref,
    keys,
    backendVersion: r.backend_version === null ? null : String(r.backend_version),
    createdAt: one(shared, r.created_at),
    updatedAt: one(shared, r.updated_at),
  }
}

/** A function, not a closure per row: the bundle wraps each closure it makes in a call that names it (esbuild's keepNames). */
function one(shared: Map<string, string> | undefined, text: string): string {
  return shared ? intern(shared, text) : text
}

/** SQLite returns booleans as 0/1, Postgres as true/false. */
export function isTrue(v: boolean | number | string): boolean {
  return v === true || v === 1 || v === '1' || v === 't' || v === 'true'
}

/** Parses a JSON column. A parse error must not echo the text: the column may hold secret values. */
export function parseJson<T>(text: string | null): T | null {
  if (text === null || text === undefined) return null
  try {
    return JSON.parse(text) as T
  } catch {
    throw new StateError('the state database holds a malformed JSON column', 'the state database is damaged; restore it from a backup')
  }
}

export function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  // Rows are written sorted: read back, they usually are already (one object less per row read).
  const names = Object.keys(obj)
  let sorted = true
  for (let i = 1; i < names.length && sorted; i++) sorted = (names[i - 1] as string) < (names[i] as string)
  if (sorted) return obj
  return Object.fromEntries(names.sort().map((k) => [k, obj[k]!]))
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** A row of `retained_copies` joined to its backend's name; `pending` absent before migration 005. */
export interface RetainedCopyRow {
  secret_name: string
  backend: string
  external_ref: string | null
  pending?: boolean | number
  created_at: string
}

export function toRetainedCopy(r: RetainedCopyRow): RetainedCopy {
  return {
    secretName: r.secret_name,
    backend: r.backend,
    externalRef: r.external_ref,
    pending: isTrue(r.pending ?? false),
    createdAt: r.created_at,
  }
}

type RowData = {data: string | null; backend: string}

/**
 * `readRowData` of a store: row reads issued together (a move reads many plaintext sources at once) go in one
 * `IN (…)` query per NAMES_PER_STATEMENT names, through `select`. Rows change under an apply: nothing is cached.
 */
export function rowDataReader(
  select: (names: string[]) => Promise<{name: string; data: string | null; backend: string}[]>,
): (name: string, onBackend?: string) => Promise<SecretValues | null> {
  const loader = new DataLoader<string, RowData | undefined>(
    async (names) => {
      const found = new Map<string, RowData>()
      for (const chunk of chunks(names, NAMES_PER_STATEMENT)) {
        for (const r of await select(chunk)) found.set(r.name, {data: r.data, backend: r.backend})
      }
      return names.map((n) => found.get(n))
    },
    {cache: false, maxBatchSize: NAMES_PER_STATEMENT},
  )
  return async (name, onBackend) => {
    const row = await loader.load(name)
    if (!row || (onBackend !== undefined && row.backend !== onBackend)) return null
    return parseJson<SecretValues>(row.data)
  }
}
