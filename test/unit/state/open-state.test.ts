import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import knexFactory from 'knex'
import {afterEach, describe, expect, it} from 'vitest'
import {StateError} from '../../../src/errors.js'
import {openState, parseStateUrl, resolveStateUrl} from '../../../src/state/open-state.js'
import {stateFactories, tempDir} from '../../support/state-factories.js'

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex')
const mode = (p: string) => fs.statSync(p).mode & 0o777

describe('resolveStateUrl', () => {
  const dir = '/work/manifests'
  it('prefers the flag, then the environment, then secretctl.yaml, then the default', () => {
    const all = {flag: 'postgres://f/db', env: 'postgres://e/db', configValue: 'postgres://c/db', dir}
    expect(resolveStateUrl(all)).toBe('postgres://f/db')
    expect(resolveStateUrl({...all, flag: undefined})).toBe('postgres://e/db')
    expect(resolveStateUrl({...all, flag: undefined, env: ''})).toBe('postgres://c/db')
    expect(resolveStateUrl({dir})).toBe('sqlite:/work/manifests/.secretctl/state.db')
  })
  it('resolves sqlite URLs and bare paths against dir', () => {
    expect(resolveStateUrl({flag: 'sqlite:/abs/s.db', dir})).toBe('sqlite:/abs/s.db')
    expect(resolveStateUrl({flag: 'sqlite:///abs/s.db', dir})).toBe('sqlite:/abs/s.db')
    expect(resolveStateUrl({flag: 'sqlite:rel/s.db', dir})).toBe('sqlite:/work/manifests/rel/s.db')
    expect(resolveStateUrl({env: 'state/s.db', dir})).toBe('sqlite:/work/manifests/state/s.db')
    expect(resolveStateUrl({configValue: '/abs/x.db', dir})).toBe('sqlite:/abs/x.db')
    expect(resolveStateUrl({flag: 'postgresql://u:p@h:5432/db', dir})).toBe('postgresql://u:p@h:5432/db')
  })
  it('refuses other schemes without echoing a password', () => {
    expect(() => parseStateUrl('mysql://u:hunter2@h/db', dir)).toThrow(StateError)
    expect(() => parseStateUrl('mysql://u:hunter2@h/db', dir)).toThrow(/mysql:\/\/u:\*\*\*@h\/db/)
  })
})

describe('openState on Postgres, unreachable', () => {
  it('fails with a StateError that masks the password', async () => {
    const err = (await openState({url: 'postgres://bob:hunter2@127.0.0.1:1/state', dir: '/tmp'}).catch((e: unknown) => e)) as StateError
    expect(err).toBeInstanceOf(StateError)
    expect(err.message).toContain('postgres://bob:***@127.0.0.1:1/state')
    expect(err.message).not.toContain('hunter2')
  })
})

describe('openState on SQLite', () => {
  const dirs: string[] = []
  const fresh = () => {
    const d = tempDir()
    dirs.push(d)
    return d
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
  })

  it('creates .secretctl/ 0700 and state.db 0600 in dir by default', async () => {
    const dir = fresh()
    const state = await openState({dir})
    await state.close()
    expect(state.location).toBe(`sqlite:${path.join(dir, '.secretctl', 'state.db')}`)
    expect(mode(path.join(dir, '.secretctl'))).toBe(0o700)
    expect(mode(path.join(dir, '.secretctl', 'state.db'))).toBe(0o600)
  })

  it('keeps 0600 under a permissive umask, in a directory that exists', async () => {
    const dir = fresh()
    const old = process.umask(0)
    try {
      const state = await openState({dir, url: 'sqlite:s.db'})
      await state.close()
    } finally {
      process.umask(old)
    }
    expect(mode(path.join(dir, 's.db'))).toBe(0o600)
  })

  it('a read-only open leaves the file byte-for-byte unchanged, and creates no journal', async () => {
    const dir = fresh()
    const file = path.join(dir, '.secretctl', 'state.db')
    const first = await openState({dir})
    await first.close()
    const before = sha256(file)
    const mtime = fs.statSync(file).mtimeMs
    for (const access of ['create', 'write', 'read', 'read-or-empty'] as const) {
      const state = await openState({dir, access})
      await state.listSecrets()
      await state.listBackends()
      await state.meta()
      await state.close()
    }
    expect(sha256(file)).toBe(before)
    expect(fs.statSync(file).mtimeMs).toBe(mtime)
    expect(fs.readdirSync(path.dirname(file))).toEqual(['state.db'])
  })

  it('applies the migrations once: a re-open records no new batch', async () => {
    const dir = fresh()
    const file = path.join(dir, 'state.db')
    await (await openState({dir, url: file})).close()
    await (await openState({dir, url: file})).close()
    const db = knexFactory({client: 'sqlite3', connection: {filename: file}, useNullAsDefault: true})
    try {
      const rows = await db('knex_migrations').select('name', 'batch')
      expect(rows).toEqual([
        {name: '001-initial', batch: 1},
        {name: '002-lock-holder-process', batch: 1},
        {name: '003-erase-freed-pages', batch: 1},
        {name: '004-opaque-versions', batch: 1},
        {name: '005-pending-copy-deletes', batch: 1},
        {name: '006-kind-state', batch: 1},
      ])
      const journal = await db.raw('PRAGMA journal_mode')
      expect(journal[0].journal_mode).toBe('delete')
    } finally {
      await db.destroy()
    }
  })

  it('enforces foreign keys', async () => {
    const dir = fresh()
    const file = path.join(dir, 'state.db')
    await (await openState({dir, url: file})).close()
    const state = await openState({dir, url: file})
    await state.putSecret({name: 's', backend: 'default', externalRef: null, rowData: {A: '1'}, keys: {}, backendVersion: null})
    await state.close()
    // The store refuses in code; the schema refuses too (RESTRICT), seen through a raw connection with FKs on.
    const db = knexFactory({
      client: 'sqlite3',
      connection: {filename: file},
      useNullAsDefault: true,
      pool: {
        afterCreate: (c: {run(sql: string, cb: (e: Error | null) => void): void}, done: (e: Error | null, c: unknown) => void) =>
          c.run('PRAGMA foreign_keys = ON', (e) => done(e, c)),
      },
    })
    try {
      await expect(db('backends').where({name: 'default'}).delete()).rejects.toThrow(/FOREIGN KEY/)
    } finally {
      await db.destroy()
    }
  })

  it('reading a state that does not exist says so and creates nothing; plan reads it as empty', async () => {
    const dir = fresh()
    for (const access of ['read', 'write'] as const) {
      const err = (await openState({dir, access}).catch((e: unknown) => e)) as StateError
      expect(err).toBeInstanceOf(StateError)
      expect(err.message).toBe(`no state yet at sqlite:${path.join(dir, '.secretctl', 'state.db')}`)
      expect(err.hint).toMatch(/secretctl apply` creates it/)
    }
    const empty = await openState({dir, access: 'read-or-empty'})
    expect(empty.exists).toBe(false)
    expect(await empty.meta()).toEqual({lineage: '', serial: 0})
    expect((await empty.listBackends()).map((b) => [b.name, b.type, b.isDefault])).toEqual([['default', 'plaintext', true]])
    expect(await empty.listSecrets()).toEqual([])
    await expect(
      empty.putSecret({name: 's', backend: 'default', externalRef: null, rowData: {}, keys: {}, backendVersion: null}),
    ).rejects.toThrow(/no state yet/)
    await empty.close()
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it('creates no directory for a state a person named, for any command; the default .secretctl/ only when creating', async () => {
    const dir = fresh()
    const named = path.join(dir, 'nonexistent', 'dir', 'x.db')
    for (const access of ['create', 'write', 'read', 'read-or-empty'] as const) {
      const err = (await openState({dir, url: named, access}).catch((e: unknown) => e)) as StateError
      expect(err).toBeInstanceOf(StateError)
      expect(err.message).toBe(`the directory ${path.dirname(named)} of the state sqlite:${named} does not exist`)
    }
    expect(fs.readdirSync(dir)).toEqual([])
    await (await openState({dir, access: 'create'})).close()
    expect(fs.readdirSync(dir)).toEqual(['.secretctl'])
    expect(fs.readdirSync(path.join(dir, '.secretctl'))).toEqual(['state.db'])
  })

  it('refuses a 0-byte file as a state, whatever the command, and leaves it as it was', async () => {
    const dir = fresh()
    const file = path.join(dir, 'state.db')
    fs.writeFileSync(file, '', {mode: 0o600})
    for (const access of ['create', 'write', 'read', 'read-or-empty'] as const) {
      const err = (await openState({dir, url: file, access}).catch((e: unknown) => e)) as StateError
      expect(err).toBeInstanceOf(StateError)
      expect(err.message).toContain(`the state sqlite:${file} is an empty file (0 bytes), not a state`)
      expect(err.hint).toContain(`rm ${file}`)
    }
    expect(fs.statSync(file).size).toBe(0)
    expect(fs.readdirSync(dir)).toEqual(['state.db'])
  })

  it('refuses a file that is not SQLite, and a SQLite database that is not a secretctl state, creating no table in it', async () => {
    const dir = fresh()
    const junk = path.join(dir, 'junk.db')
    fs.writeFileSync(junk, 'this is not sqlite, not at all, really'.repeat(40))
    const foreign = path.join(dir, 'foreign.db')
    const empty = path.join(dir, 'empty.db')
    for (const [file, setup] of [
      [foreign, 'create table users (id integer primary key, email text); insert into users (email) values ("a@example.com")'],
      [empty, 'pragma user_version = 1'],
    ] as const) {
      const db = knexFactory({client: 'sqlite3', connection: {filename: file}, useNullAsDefault: true})
      for (const statement of setup.split('; ')) await db.raw(statement)
      await db.destroy()
    }
    const before = new Map([junk, foreign, empty].map((f) => [f, sha256(f)]))
    for (const access of ['create', 'write', 'read', 'read-or-empty'] as const) {
      await expect(openState({dir, url: junk, access})).rejects.toThrow(`the state sqlite:${junk} is not a SQLite database`)
      await expect(openState({dir, url: foreign, access})).rejects.toThrow(
        `sqlite:${foreign} is a database but not a secretctl state (it has other tables: users); secretctl left it as it was`,
      )
      await expect(openState({dir, url: empty, access})).rejects.toThrow(`sqlite:${empty} is an empty database, not a secretctl state`)
    }
    for (const [file, hash] of before) expect(sha256(file)).toBe(hash)
    expect(fs.readdirSync(dir).sort()).toEqual(['empty.db', 'foreign.db', 'junk.db'])
  })

  it('says a damaged state is damaged, naming it (not "migrated by a newer secretctl"), and refuses to write it', async () => {
    const dir = fresh()
    const file = path.join(dir, 'state.db')
    const state = await openState({dir, url: file})
    for (let i = 0; i < 200; i++) {
      await state.putSecret({
        name: `s${i}`,
        backend: 'default',
        externalRef: null,
        rowData: {K: 'v'.repeat(100)},
        keys: {},
        backendVersion: null,
      })
    }
    await state.close()
    // Scribble over the b-tree page headers of every page after the schema page.
    const bytes = fs.readFileSync(file)
    const pageSize = bytes.readUInt16BE(16)
    for (let page = 1; page * pageSize < bytes.length; page++) bytes.fill(0xa5, page * pageSize, page * pageSize + 12)
    fs.writeFileSync(file, bytes)
    for (const access of ['create', 'read'] as const) {
      const err = await openState({dir, url: file, access})
        .then(async (s) => {
          try {
            await s.listSecrets()
            await s.listBackends()
          } finally {
            await s.close()
          }
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(err, access).toBeInstanceOf(StateError)
      const message = (err as StateError).message
      expect(message).not.toMatch(/newer/)
      expect(message).toMatch(/damaged|malformed/)
      if (access === 'create') expect(message).toContain(file)
    }
  })

  it('says a state a newer secretctl migrated was migrated by a newer secretctl, naming the migration', async () => {
    const dir = fresh()
    const file = path.join(dir, 'state.db')
    await (await openState({dir, url: file})).close()
    const db = knexFactory({client: 'sqlite3', connection: {filename: file}, useNullAsDefault: true})
    await db('knex_migrations').insert({name: '999-from-the-future', batch: 2, migration_time: new Date()})
    await db.destroy()
    for (const access of ['create', 'read'] as const) {
      await expect(openState({dir, url: file, access})).rejects.toThrow(
        `the state at sqlite:${file} was migrated by a newer secretctl (migration 999-from-the-future)`,
      )
    }
  })

  // As root, file modes do not stop a write; the end-to-end suite runs this case as another user.
  it.skipIf(process.getuid?.() === 0)('refuses to write a read-only state before writing anything, and still reads it', async () => {
    const dir = fresh()
    const file = path.join(dir, 'state.db')
    await (await openState({dir, url: file})).close()
    fs.chmodSync(file, 0o400)
    try {
      await expect(openState({dir, url: file, access: 'write'})).rejects.toThrow(`the state sqlite:${file} is read-only for this command`)
      const reader = await openState({dir, url: file, access: 'read'})
      expect((await reader.meta()).serial).toBe(0)
      await reader.close()
    } finally {
      fs.chmodSync(file, 0o600)
    }
  })
})

describe.each(stateFactories().map((f) => [f.name, f] as const))('openState (%s)', (_name, factory) => {
  afterEach(() => factory.cleanup())

  it('seeds a new state: default plaintext backend, serial 0, lineage uuid, salt', async () => {
    const state = await factory.create()
    expect(state.dialect).toBe(factory.dialect)
    const meta = await state.meta()
    expect(meta.serial).toBe(0)
    expect(meta.lineage).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const backends = await state.listBackends()
    expect(backends).toHaveLength(1)
    expect(backends[0]).toMatchObject({
      name: 'default',
      type: 'plaintext',
      isDefault: true,
      config: {},
      description: 'built-in plaintext trust root',
      rotation: null,
      tokenMeta: null,
    })
    expect(await state.listSecrets()).toEqual([])
    expect(await state.listAudit()).toEqual([])
    expect(await state.fingerprint('k', 'v')).toMatch(/^[0-9a-f]{64}$/)
  })

  it('reading a state never created refuses (plan reads it as empty) and creates nothing', async () => {
    const {url, dir} = await factory.freshUrl()
    await expect(openState({url, dir, access: 'read'})).rejects.toThrow(/^no state yet at /)
    await expect(openState({url, dir, access: 'write'})).rejects.toThrow(/^no state yet at /)
    const empty = await openState({url, dir, access: 'read-or-empty'})
    expect(empty.exists).toBe(false)
    expect(empty.dialect).toBe(factory.dialect)
    await empty.close()
    // Still nothing there: a reading open created no table.
    await expect(openState({url, dir, access: 'read'})).rejects.toThrow(/^no state yet at /)
    const state = await openState({url, dir})
    expect((await state.meta()).serial).toBe(0)
    expect(state.exists).toBe(true)
    await state.close()
  })

  it('re-opening keeps the lineage and does not seed twice', async () => {
    const {url, dir} = await factory.freshUrl()
    const a = await openState({url, dir})
    const lineage = (await a.meta()).lineage
    await a.bumpSerial()
    await a.close()
    const b = await openState({url, dir, access: 'read'})
    try {
      expect(await b.meta()).toEqual({lineage, serial: 1})
      expect((await b.listBackends()).map((x) => x.name)).toEqual(['default'])
    } finally {
      await b.close()
    }
  })
})
