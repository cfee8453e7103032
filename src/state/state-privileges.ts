/**
 * May this connection make the writes an apply needs? Asked once per apply, before any backend is
 * written, so that a role that cannot record a change (the rotator writing a secret's row, a
 * planner) is refused up front instead of writing a backend it then cannot record (drift).
 * Postgres answers from its privilege functions (`has_column_privilege`, `has_table_privilege`,
 * `has_sequence_privilege`: https://www.postgresql.org/docs/current/functions-info.html), for the
 * columns each store method inserts, updates and reads; SQLite from the file's permissions.
 */
import fs from 'node:fs'
import path from 'node:path'
import type {Knex} from 'knex'
import type {StateWrite} from './types.js'

type Privilege =
  | {table: string; privilege: 'SELECT' | 'INSERT' | 'UPDATE'; columns: string[]}
  | {table: string; privilege: 'DELETE'}
  | {sequenceOf: string}

const sel = (table: string, columns: string[]): Privilege => ({table, privilege: 'SELECT', columns})
const ins = (table: string, columns: string[]): Privilege => ({table, privilege: 'INSERT', columns})
const upd = (table: string, columns: string[]): Privilege => ({table, privilege: 'UPDATE', columns})
const del = (table: string): Privilege => ({table, privilege: 'DELETE'})
/** An insert draws the row's id from the table's serial sequence. */
const seq = (table: string): Privilege => ({sequenceOf: table})

// The columns knex-state-store.ts inserts, merges on conflict (INSERT … ON CONFLICT DO UPDATE) and reads in its WHERE clauses.
const BACKEND_INSERT = ['name', 'type', 'description', 'is_default', 'config', 'rotation', 'token_meta', 'created_at', 'updated_at']
const BACKEND_MERGE = ['type', 'description', 'config', 'rotation', 'updated_at']
const SECRET_INSERT = ['name', 'backend_id', 'external_ref', 'data', 'keys', 'backend_version', 'created_at', 'updated_at']
const SECRET_MERGE = ['backend_id', 'external_ref', 'data', 'keys', 'backend_version', 'updated_at']
const COPY_INSERT = ['secret_name', 'backend_id', 'external_ref', 'data', 'pending', 'created_at']
const COPY_MERGE = ['external_ref', 'data', 'pending', 'created_at']
const AUDIT_INSERT = ['at', 'run_id', 'actor', 'address', 'action', 'outcome', 'detail']

/** What each kind of write needs, as the store makes it. */
const NEEDS: Record<StateWrite, Privilege[]> = {
  'backend-upsert': [ins('backends', BACKEND_INSERT), upd('backends', BACKEND_MERGE), seq('backends')],
  'backend-default': [sel('backends', ['name', 'is_default']), upd('backends', ['is_default', 'updated_at'])],
  'backend-delete': [
    sel('backends', ['id', 'name', 'is_default']),
    sel('secrets', ['backend_id', 'name']),
    sel('retained_copies', ['backend_id', 'secret_name']),
    del('backends'),
  ],
  token: [
    sel('secrets', ['name', 'data', 'keys']),
    upd('secrets', ['data', 'keys', 'updated_at']),
    sel('backends', ['name']),
    upd('backends', ['token_meta', 'updated_at']),
  ],
  'secret-put': [
    sel('backends', ['id', 'name']),
    ins('secrets', SECRET_INSERT),
    upd('secrets', SECRET_MERGE),
    seq('secrets'),
    // A row landing where a copy was retained replaces that copy's record.
    sel('retained_copies', ['id', 'backend_id', 'secret_name']),
    del('retained_copies'),
  ],
  'secret-keys': [sel('secrets', ['name']), upd('secrets', ['keys', 'updated_at'])],
  'secret-delete': [sel('secrets', ['name']), del('secrets')],
  'copy-put': [ins('retained_copies', COPY_INSERT), upd('retained_copies', COPY_MERGE), seq('retained_copies')],
  'copy-delete': [sel('backends', ['id', 'name']), sel('retained_copies', ['backend_id', 'secret_name']), del('retained_copies')],
  serial: [sel('state_meta', ['serial']), upd('state_meta', ['serial'])],
  audit: [ins('audit', AUDIT_INSERT), seq('audit')],
}

/** One yes/no question to the database, and how a "no" reads. */
interface Question {
  sql: string
  bindings: string[]
  /** What is missing when the answer is no, grouped by `group` (one line per table and privilege). */
  group: string
  column?: string
}

function questions(p: Privilege): Question[] {
  if ('sequenceOf' in p) {
    // A table without a serial id has no sequence to use: nothing to ask.
    return [
      {
        sql: `coalesce(has_sequence_privilege(pg_get_serial_sequence(?, 'id'), 'USAGE'), true)`,
        bindings: [p.sequenceOf],
        group: `USAGE on the sequence of ${p.sequenceOf}.id`,
      },
    ]
  }
  if (p.privilege === 'DELETE') return [{sql: 'has_table_privilege(?, ?)', bindings: [p.table, 'DELETE'], group: `DELETE on ${p.table}`}]
  return p.columns.map((column) => ({
    sql: 'has_column_privilege(?, ?, ?)',
    bindings: [p.table, column, p.privilege],
    group: `${p.privilege} on ${p.table}`,
    column,
  }))
}

/** What the current Postgres role lacks for each write, asked in one query. */
export async function missingPostgresPrivileges(db: Knex, writes: readonly StateWrite[]): Promise<Map<StateWrite, string[]>> {
  const unique = [...new Set(writes)]
  const asked = new Map<string, Question>()
  for (const w of unique) for (const p of NEEDS[w]) for (const q of questions(p)) asked.set(JSON.stringify(q.bindings), q)
  const list = [...asked.values()]
  if (!list.length) return new Map()
  const result = await db.raw(
    `select ${list.map((q, i) => `${q.sql} as q${i}`).join(', ')}`,
    list.flatMap((q) => q.bindings),
  )
  const row = (result as {rows: Record<string, boolean>[]}).rows[0] ?? {}
  const granted = new Map(list.map((q, i) => [JSON.stringify(q.bindings), row[`q${i}`] === true]))
  const out = new Map<StateWrite, string[]>()
  for (const w of unique) {
    const lacking = NEEDS[w].flatMap(questions).filter((q) => !granted.get(JSON.stringify(q.bindings)))
    if (lacking.length) out.set(w, describe(lacking, NEEDS[w].flatMap(questions)))
  }
  return out
}

/** `INSERT on secrets` when every column asked is missing, else `UPDATE (keys, updated_at) on secrets`. */
function describe(lacking: Question[], asked: Question[]): string[] {
  const groups = [...new Set(lacking.map((q) => q.group))]
  return groups.map((group) => {
    const columns = lacking.filter((q) => q.group === group && q.column).map((q) => q.column as string)
    const all = asked.filter((q) => q.group === group && q.column).length
    if (!columns.length || columns.length === all) return group
    const [privilege, ...rest] = group.split(' ')
    return `${privilege} (${columns.join(', ')}) ${rest.join(' ')}`
  })
}

/** SQLite: every write needs the file, and its directory for the journal, to be writable. */
export function missingSqlitePrivileges(file: string, writes: readonly StateWrite[]): Map<StateWrite, string[]> {
  const lacking: string[] = []
  for (const target of [file, path.dirname(file)]) {
    try {
      fs.accessSync(target, fs.constants.W_OK)
    } catch {
      lacking.push(`write access to ${target}`)
    }
  }
  return new Map(lacking.length ? [...new Set(writes)].map((w) => [w, lacking]) : [])
}
