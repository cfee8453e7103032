/**
 * Runs the built CLI (bin/run.js) as a process in a temp directory, the way a user does, and
 * checks every output for planted canary values: a test that plants a value through `canary()`
 * fails the moment that value shows up in any stdout or stderr of the suite.
 */
import {execa, type Options, type Result} from 'execa'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {expect} from 'vitest'
import knex from 'knex'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const CLI = path.join(ROOT, 'bin/run.js')

const planted = new Set<string>()

/** A value that must never appear in any output: registered for every later check. */
export function canary(label: string): string {
  const value = `CANARY_${label}_${randomBytes(9).toString('hex')}`
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

export async function secretctl(args: string[], opts: {cwd: string; env?: Record<string, string | undefined>; input?: string; timeout?: number} & Pick<Options, 'killSignal'>): Promise<RunResult> {
  const r: Result = await execa('node', [CLI, ...args], {
    cwd: opts.cwd,
    env: {NO_COLOR: '1', SECRETCTL_ACTOR: 'e2e', ...opts.env},
    extendEnv: true,
    reject: false,
    input: opts.input,
    timeout: opts.timeout ?? 60_000,
  })
  const out = {exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')}
  assertNoCanary(out.stdout, `stdout of secretctl ${args.join(' ')}`)
  assertNoCanary(out.stderr, `stderr of secretctl ${args.join(' ')}`)
  return out
}

/** A temp project directory holding the given files (path → content). */
export function tempProject(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-e2e-'))
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

/** Bytes of the state file, to prove a refused command changed nothing. */
export function stateBytes(dir: string): Buffer | null {
  const file = stateFile(dir)
  return existsSync(file) ? readFileSync(file) : null
}

/** Reads rows straight from the SQLite state, bypassing secretctl (what an attacker with the file sees). */
export async function queryState<T = Record<string, unknown>>(dir: string, sql: string, bindings: unknown[] = []): Promise<T[]> {
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
  const rows = await queryState<{backend: string}>(dir, 'select b.name as backend from secrets s join backends b on b.id = s.backend_id where s.name = ?', [name])
  return rows[0]?.backend
}

/** Every audit row must be free of planted values. */
export async function assertAuditClean(dir: string): Promise<void> {
  if (!existsSync(stateFile(dir))) return
  const rows = await queryState(dir, 'select * from audit')
  assertNoCanary(JSON.stringify(rows), `the audit table of ${dir}`)
  expect(Array.isArray(rows)).toBe(true)
}
