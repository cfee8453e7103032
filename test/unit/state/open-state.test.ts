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

  it('keeps 0600 under a permissive umask', async () => {
    const dir = fresh()
    const old = process.umask(0)
    try {
      const state = await openState({dir, url: 'sqlite:sub/s.db'})
      await state.close()
    } finally {
      process.umask(old)
    }
    expect(mode(path.join(dir, 'sub'))).toBe(0o700)
    expect(mode(path.join(dir, 'sub', 's.db'))).toBe(0o600)
  })

  it('a read-only open leaves the file byte-for-byte unchanged, and creates no journal', async () => {
    const dir = fresh()
    const file = path.join(dir, '.secretctl', 'state.db')
    const first = await openState({dir})
    await first.close()
    const before = sha256(file)
    const mtime = fs.statSync(file).mtimeMs
    for (const create of [true, false]) {
      const state = await openState({dir, create})
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
        {name: '002-opaque-versions', batch: 1},
        {name: '003-pending-copy-deletes', batch: 1},
        {name: '004-kind-state', batch: 1},
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

  it('with create: false and no file, says to run apply or plan and creates nothing', async () => {
    const dir = fresh()
    const err = await openState({dir, create: false}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StateError)
    expect((err as StateError).message).toContain('no state database at sqlite:')
    expect((err as StateError).hint).toMatch(/secretctl apply.*plan/)
    expect(fs.existsSync(path.join(dir, '.secretctl'))).toBe(false)
  })

  it('with create: false and an empty file, refuses without migrating it', async () => {
    const dir = fresh()
    const file = path.join(dir, 'empty.db')
    fs.writeFileSync(file, '', {mode: 0o600})
    await expect(openState({dir, url: file, create: false})).rejects.toThrow(/no state database/)
    expect(fs.statSync(file).size).toBe(0)
  })

  it('wraps a file that is not a database in a StateError', async () => {
    const dir = fresh()
    const file = path.join(dir, 'junk.db')
    fs.writeFileSync(file, 'this is not sqlite, not at all, really'.repeat(40))
    await expect(openState({dir, url: file})).rejects.toThrow(StateError)
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

  it('with create: false on a state never created, refuses', async () => {
    const {url, dir} = await factory.freshUrl()
    await expect(openState({url, dir, create: false})).rejects.toThrow(/no state database at/)
    const state = await openState({url, dir})
    expect((await state.meta()).serial).toBe(0)
    await state.close()
  })

  it('re-opening keeps the lineage and does not seed twice', async () => {
    const {url, dir} = await factory.freshUrl()
    const a = await openState({url, dir})
    const lineage = (await a.meta()).lineage
    await a.bumpSerial()
    await a.close()
    const b = await openState({url, dir, create: false})
    try {
      expect(await b.meta()).toEqual({lineage, serial: 1})
      expect((await b.listBackends()).map((x) => x.name)).toEqual(['default'])
    } finally {
      await b.close()
    }
  })
})
