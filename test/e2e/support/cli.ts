/**
 * Runs the built CLI (bin/run.js) as a process in a temp directory, the way a user does, and
 * checks every output for planted canary values: a test that plants a value through `canary()`
 * fails the moment that value shows up in any stdout or stderr of the suite.
 *
 * With SECRETCTL_E2E_STATE=postgres every temp project gets a `secretctl.yaml` pointing at a fresh
 * database on the test run's PostgreSQL server, so the same suite runs against Postgres; the
 * helpers that look into the state (queryState, stateBytes) read that database instead.
 */
import {execa, type Options, type Result} from 'execa'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {expect} from 'vitest'
import knex from 'knex'
import {execFileSync} from 'node:child_process'
import {waitFor} from '../../support/wait-for.js'

/** Which state database the e2e projects use. */
export const E2E_STATE: 'sqlite' | 'postgres' = process.env.SECRETCTL_E2E_STATE === 'postgres' ? 'postgres' : 'sqlite'

function createPostgresDatabase(): string {
  const admin = process.env.SECRETCTL_TEST_PG
  if (!admin) throw new Error('SECRETCTL_E2E_STATE=postgres needs SECRETCTL_TEST_PG (the vitest globalSetup sets it)')
  const db = `secretctl_e2e_${randomBytes(6).toString('hex')}`
  execFileSync('psql', [admin, '-qXc', `CREATE DATABASE ${db}`], {stdio: 'pipe'})
  const url = new URL(admin)
  url.pathname = `/${db}`
  return url.toString()
}

/** The Postgres URL a project's secretctl.yaml names, or undefined for SQLite. */
export function postgresUrlOf(dir: string): string | undefined {
  const config = path.join(dir, 'secretctl.yaml')
  if (!existsSync(config)) return undefined
  const m = readFileSync(config, 'utf8').match(/^state:\s*(postgres\S+)/m)
  return m?.[1]
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const CLI = path.join(ROOT, 'bin/run.js')

const planted = new Set<string>()

/** A value that must never appear in any output: registered for every later check. */
export function canary(label: string): string {
  const value = `CANARY_${label}_${randomBytes(9).toString('hex')}`
  planted.add(value)
  return value
}

/** A value made elsewhere (a private key, a value a tool encrypted) that must never appear in any output either. */
export function plant(value: string): string {
  planted.add(value)
  return value
}

export function plantedCanaries(): string[] {
  return [...planted]
}

export function assertNoCanary(text: string, where: string): void {
  for (const value of planted) {
    if (text.includes(value)) throw new Error(`a planted secret value leaked into ${where}`)
  }
}

export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
}

export async function secretctl(
  args: string[],
  opts: {
    cwd: string
    env?: Record<string, string | undefined>
    input?: string
    timeout?: number
    /**
     * File modes hold for the CLI as for any file's owner: as root, it runs without the capabilities
     * that override them (setpriv from util-linux drops them from its bounding set).
     */
    fileModesHold?: boolean
  } & Pick<Options, 'killSignal'>,
): Promise<RunResult> {
  const prefix =
    opts.fileModesHold && process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search,-fowner'] : []
  const [command, ...rest] = [...prefix, 'node', CLI, ...args]
  const r: Result = await execa(command as string, rest, {
    cwd: opts.cwd,
    env: {NO_COLOR: '1', SECRETCTL_ACTOR: 'e2e', ...opts.env},
    extendEnv: true,
    reject: false,
    input: opts.input,
    timeout: opts.timeout ?? 300_000, // a hang detector: one run takes seconds on a loaded machine
  })
  const out = {exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')}
  assertNoCanary(out.stdout, `stdout of secretctl ${args.join(' ')}`)
  assertNoCanary(out.stderr, `stderr of secretctl ${args.join(' ')}`)
  return out
}

/** A temp project directory holding the given files (path → content). */
export function tempProject(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-e2e-'))
  if (E2E_STATE === 'postgres') writeFiles(dir, {'secretctl.yaml': `state: ${createPostgresDatabase()}\n`})
  writeFiles(dir, files)
  return dir
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel)
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, content)
  }
}

export function stateFile(dir: string): string {
  return path.join(dir, '.secretctl/state.db')
}

/** Bytes of the state (the SQLite file, or a dump of every Postgres table), to prove a refused command changed nothing. */
export function stateBytes(dir: string): Buffer | null {
  const pg = postgresUrlOf(dir)
  if (pg) {
    const tables = ['state_meta', 'backends', 'secrets', 'retained_copies', 'locks', 'audit', 'knex_migrations']
    const query = tables.map((t) => `select '${t}', coalesce(json_agg(x order by x::text), '[]') from ${t} x`).join(' union all ')
    return execFileSync('psql', [pg, '-qAtXc', query], {stdio: 'pipe'})
  }
  const file = stateFile(dir)
  return existsSync(file) ? readFileSync(file) : null
}

/** Reads rows straight from the SQLite state, bypassing secretctl (what an attacker with the file sees). */
export async function queryState<T = Record<string, unknown>>(dir: string, sql: string, bindings: unknown[] = []): Promise<T[]> {
  const pg = postgresUrlOf(dir)
  if (pg) {
    const db = knex({client: 'pg', connection: pg})
    try {
      return ((await db.raw(sql, bindings as never)) as {rows: T[]}).rows
    } finally {
      await db.destroy()
    }
  }
  if (!existsSync(stateFile(dir))) return []
  const db = knex({client: 'sqlite3', connection: {filename: stateFile(dir)}, useNullAsDefault: true})
  try {
    return (await db.raw(sql, bindings as never)) as T[]
  } finally {
    await db.destroy()
  }
}

/** The plaintext values the state holds for a secret, or null when its row has none. */
export async function rowData(dir: string, name: string): Promise<Record<string, string> | null> {
  const rows = await queryState<{data: string | null}>(dir, 'select data from secrets where name = ?', [name])
  if (!rows.length) throw new Error(`no row for secret ${name}`)
  return rows[0]!.data ? JSON.parse(rows[0]!.data) : null
}

export async function secretBackend(dir: string, name: string): Promise<string | undefined> {
  const rows = await queryState<{backend: string}>(
    dir,
    'select b.name as backend from secrets s join backends b on b.id = s.backend_id where s.name = ?',
    [name],
  )
  return rows[0]?.backend
}

/** Every audit row must be free of planted values. */
export async function assertAuditClean(dir: string): Promise<void> {
  if (!postgresUrlOf(dir) && !existsSync(stateFile(dir))) return
  // A project whose state was never created (e.g. init wrote the manifests elsewhere) has no audit.
  const rows = await queryState(dir, 'select * from audit').catch((err: Error) => {
    if (/does not exist|no such table/.test(err.message)) return []
    throw err
  })
  assertNoCanary(JSON.stringify(rows), `the audit table of ${dir}`)
  expect(Array.isArray(rows)).toBe(true)
}

/**
 * On Postgres, waits until no session holds an advisory lock on the project's database. The
 * state lock is a session lock: a holder killed with SIGKILL loses it once its server process
 * notices the closed connection, which happens on the server's own time, not before the kill
 * returns. (On SQLite there is nothing to wait for.)
 */
export async function waitForPostgresLocksReleased(dir: string): Promise<void> {
  if (!postgresUrlOf(dir)) return
  await waitFor("the killed holder's Postgres session to end", async () => {
    const [row] = await queryState<{n: string | number}>(
      dir,
      "select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
    )
    return Number(row!.n) === 0
  })
}
