/**
 * The Postgres test harness works: the server the vitest globalSetup started (reached through
 * `inject('postgresUrl')`) takes knex `pg` connections, tables, inserts and selects; two concurrent
 * connections see each other's committed rows (and not uncommitted ones); a session advisory lock
 * held on one connection is refused on another. And `startPostgres()` itself: password auth, a
 * non-superuser app role, and no server or data dir left behind after stop(), process.exit() or
 * SIGKILL of the process that started it.
 */
import {describe, it, expect, inject, afterAll} from 'vitest'
import knexFactory, {type Knex} from 'knex'
import pg from 'pg'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {startPostgres} from '../support/postgres-server.js'
import type {PostgresProvided} from '../support/global-postgres.js'
import {processExited} from '../support/process-exited.js'
import {waitFor} from '../support/wait-for.js'

const key: PostgresProvided = 'postgresUrl'
const url = inject(key)
const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')

/** One knex instance per "connection": a pool of exactly one, so session state (locks) stays put. */
function connection(): Knex {
  return knexFactory({client: 'pg', connection: url, pool: {min: 1, max: 1}})
}

const opened: Knex[] = []
function open(): Knex {
  const k = connection()
  opened.push(k)
  return k
}
afterAll(async () => {
  for (const k of opened.splice(0)) await k.destroy()
})

/** Resolves true when something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({host: '127.0.0.1', port})
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/**
 * The postmaster's pid, from its pid file. Whether a stopped server is gone is judged by its
 * process, not its port: another test process may bind that port as soon as it is free.
 */
function postmasterPid(dir: string): number {
  return Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0])
}

/** Waits (bounded, generously: stopping a server on a loaded machine takes a while) for the server and its dir to be gone. */
async function waitUntilGone(pid: number, dir: string): Promise<void> {
  await waitFor(`the server (pid ${pid}, dir ${dir}) to be gone`, () => processExited(pid) && !existsSync(dir), {ms: 90_000, everyMs: 100})
}

describe('the run-wide server (globalSetup)', () => {
  it('is a password-protected postgres:// URL on 127.0.0.1', () => {
    const u = new URL(url)
    expect(u.protocol).toBe('postgres:')
    expect(u.hostname).toBe('127.0.0.1')
    expect(u.password).not.toBe('')
    expect(Number(u.port)).toBeGreaterThan(0)
  })

  it('creates a table, inserts and selects through knex pg', async () => {
    const db = open()
    const table = `harness_${randomBytes(4).toString('hex')}`
    await db.schema.createTable(table, (t) => {
      t.increments('id')
      t.string('name').notNullable()
    })
    await db(table).insert([{name: 'a'}, {name: 'b'}])
    expect(await db(table).select('name').orderBy('id')).toEqual([{name: 'a'}, {name: 'b'}])
    const [{version}] = (await db.raw('select version()')).rows as {version: string}[]
    expect(version).toMatch(/^PostgreSQL \d+/)
    await db.schema.dropTable(table)
  })

  it("two concurrent connections see each other's committed rows, not uncommitted ones", async () => {
    const a = open()
    const b = open()
    const table = `harness_${randomBytes(4).toString('hex')}`
    await a.schema.createTable(table, (t) => {
      t.string('who').notNullable()
    })
    const [pidA] = (await a.raw('select pg_backend_pid() as pid')).rows as {pid: number}[]
    const [pidB] = (await b.raw('select pg_backend_pid() as pid')).rows as {pid: number}[]
    expect(pidA!.pid).not.toBe(pidB!.pid)

    const trx = await a.transaction()
    await trx(table).insert({who: 'a'})
    expect(await b(table).select('who')).toEqual([]) // not committed yet
    await trx.commit()
    expect(await b(table).select('who')).toEqual([{who: 'a'}])

    await b(table).insert({who: 'b'})
    expect(await a(table).select('who').orderBy('who')).toEqual([{who: 'a'}, {who: 'b'}])
    await a.schema.dropTable(table)
  })

  it('pg_try_advisory_lock: one connection gets the lock, the other does not until it is released', async () => {
    const a = open()
    const b = open()
    const lockKey = 0x5ec7e7 + Math.floor(Math.random() * 1e6)
    const tryLock = async (k: Knex) => ((await k.raw('select pg_try_advisory_lock(?) as got', [lockKey])).rows as {got: boolean}[])[0]!.got
    const unlock = async (k: Knex) => ((await k.raw('select pg_advisory_unlock(?) as done', [lockKey])).rows as {done: boolean}[])[0]!.done
    expect(await tryLock(a)).toBe(true)
    expect(await tryLock(b)).toBe(false)
    expect(await unlock(a)).toBe(true)
    expect(await tryLock(b)).toBe(true)
    expect(await tryLock(a)).toBe(false)
    expect(await unlock(b)).toBe(true)
  })
})

describe('startPostgres()', () => {
  it('serves password auth only, a non-superuser app role, and leaves nothing after stop()', async () => {
    const server = await startPostgres()
    const pid = postmasterPid(server.dir)
    expect(processExited(pid)).toBe(false)
    try {
      const u = new URL(server.url)
      expect(u.port).toBe(String(server.port))
      const client = new pg.Client({connectionString: server.url})
      await client.connect()
      const {rows} = await client.query(
        'select current_user as who, current_database() as db, (select rolsuper from pg_roles where rolname = current_user) as super',
      )
      await client.end()
      expect(rows[0]).toEqual({who: 'secretctl', db: 'secretctl', super: false})

      const admin = new pg.Client({connectionString: server.adminUrl})
      await admin.connect()
      const {rows: adminRows} = await admin.query('select rolsuper from pg_roles where rolname = current_user')
      await admin.end()
      expect(adminRows[0].rolsuper).toBe(true)

      u.password = 'wrong'
      const bad = new pg.Client({connectionString: u.toString()})
      await expect(bad.connect()).rejects.toThrow(/password authentication failed/)
      await bad.end().catch(() => {})
    } finally {
      await server.stop()
    }
    expect(existsSync(server.dir)).toBe(false)
    // pg_ctl stop -w returns once the postmaster removed its pid file, just before it exits.
    await waitUntilGone(pid, server.dir)
    await server.stop() // idempotent
  })

  describe.each([
    ['process.exit() (the exit hook)', 'exit'],
    ['SIGKILL (the watchdog)', 'kill'],
  ] as const)('a test process that dies by %s', (_label, mode) => {
    it('takes its server and data dir with it', async () => {
      const scratch = mkdtempSync(path.join(tmpdir(), 'secretctl-pg-harness-'))
      try {
        const script = path.join(scratch, 'child.mts')
        const serverModule = pathToFileURL(path.join(repo, 'test/support/postgres-server.ts')).href
        writeFileSync(
          script,
          `import {startPostgres} from ${JSON.stringify(serverModule)}\n` +
            "import {readFileSync} from 'node:fs'\n" +
            'const s = await startPostgres()\n' +
            "const pid = Number(readFileSync(s.dir + '/data/postmaster.pid', 'utf8').split('\\n')[0])\n" +
            'console.log(JSON.stringify({port: s.port, dir: s.dir, pid}))\n' +
            (mode === 'exit' ? 'process.exit(1)\n' : 'setInterval(() => {}, 1000)\n'),
        )
        const child = spawn(process.execPath, ['--import', 'tsx', script], {cwd: repo, stdio: ['ignore', 'pipe', 'pipe']})
        let out = ''
        let err = ''
        child.stderr.on('data', (c: Buffer) => (err += c.toString()))
        const started = await new Promise<{port: number; dir: string; pid: number}>((resolve, reject) => {
          child.stdout.on('data', (c: Buffer) => {
            out += c.toString()
            const line = out.split('\n').find((l) => l.startsWith('{'))
            if (line) resolve(JSON.parse(line) as {port: number; dir: string; pid: number})
          })
          child.once('exit', (code) => (out.includes('{') ? undefined : reject(new Error(`child exited ${code} before starting: ${err}`))))
        })
        expect(started.pid).toBeGreaterThan(0)
        if (mode === 'kill') {
          expect(await listening(started.port)).toBe(true)
          child.kill('SIGKILL')
        }
        await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)))
        await waitUntilGone(started.pid, started.dir)
      } finally {
        rmSync(scratch, {recursive: true, force: true})
      }
    })
  })
})
