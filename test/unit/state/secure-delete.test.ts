/**
 * No byte of a value the state no longer holds may remain in the SQLite file or beside it (its
 * journal, a WAL): after an update, a delete, a move off the plaintext backend, a forgotten
 * retained copy or a token rotation; in a state an older secretctl left (cleaned once, by the
 * first writing open); and after a writer was killed mid-transaction (its journal is rolled back
 * and removed by the next open, a reading one included). SQLite only: on Postgres, freed row
 * versions are VACUUM's business (docs/security.md).
 */
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {execa} from 'execa'
import knexFactory, {type Knex} from 'knex'
import {afterEach, describe, expect, it} from 'vitest'
import type {KnexStateStore} from '../../../src/state/knex-state-store.js'
import {migratorConfig} from '../../../src/state/migrations/migration-source.js'
import {openState} from '../../../src/state/open-state.js'
import {tempDir, placement} from '../../support/state-factories.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
})

function fresh(): string {
  const d = tempDir()
  dirs.push(d)
  return d
}

const canary = (label: string) => `CANARY_${label}_${randomBytes(9).toString('hex')}`

/** Every file under `dir`, with the names of the canaries found in its bytes. */
function scan(dir: string, canaries: string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {}
  for (const entry of fs.readdirSync(dir, {recursive: true, withFileTypes: true})) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    const bytes = fs.readFileSync(file)
    const hits = canaries.filter((c) => bytes.includes(c))
    if (hits.length) found[path.relative(dir, file)] = hits
  }
  return found
}

const place = placement

function raw(file: string, pragmas = 'PRAGMA secure_delete = OFF'): Knex {
  return knexFactory({
    client: 'sqlite3',
    connection: {filename: file},
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (c: {exec(sql: string, cb: (e: Error | null) => void): void}, done: (e: Error | null, c: unknown) => void) =>
        c.exec(pragmas, (e) => done(e, c)),
    },
  })
}

describe('values the state no longer holds leave no byte behind (SQLite)', () => {
  it('after an update, a delete, a move off plaintext, a forgotten retained copy and a token rotation', async () => {
    const dir = fresh()
    const state = (await openState({dir})) as KnexStateStore
    await state.upsertBackend({name: 'bao', type: 'openbao', description: null, config: {}, rotation: null})
    const old = {
      updated: canary('updated'),
      deleted: canary('deleted'),
      moved: canary('moved'),
      retained: canary('retained'),
      token: canary('token'),
    }
    const kept = canary('kept')
    // Long values too: a value bigger than a page lives on overflow pages.
    const long = canary('long') + 'x'.repeat(9000)
    await state.putSecret(place({name: 'upd', rowData: {A: old.updated, B: long}}))
    await state.putSecret(place({name: 'del', rowData: {A: old.deleted}}))
    await state.putSecret(place({name: 'mov', rowData: {A: old.moved}}))
    await state.putSecret(place({name: 'ret', rowData: {A: old.retained}}))
    await state.putSecret(place({name: 'bao-creds', rowData: {token: old.token}}))
    await state.putSecret(place({name: 'keep', rowData: {A: kept}}))

    await state.putSecret(place({name: 'upd', rowData: {A: canary('new'), B: 'short now'}}))
    await state.deleteSecret('del')
    await state.putSecret(place({name: 'mov', backend: 'bao', externalRef: 'secret/mov', backendVersion: 1}))
    await state.putSecret(
      place({
        name: 'ret',
        backend: 'bao',
        externalRef: 'secret/ret',
        backendVersion: 1,
        retainOn: {backend: 'default', externalRef: null, rowData: {A: old.retained}},
      }),
    )
    await state.deleteRetainedCopy('ret', 'default')
    await state.persistRotatedToken({
      backend: 'bao',
      secret: 'bao-creds',
      key: 'token',
      value: canary('token-new'),
      fingerprint: 'f',
      tokenMeta: {accessor: 'a'},
    })
    await state.close()

    const found = scan(dir, [...Object.values(old), long.slice(0, 60), kept])
    // The scan sees what is there: the value still held.
    expect(found).toEqual({[path.join('.secretctl', 'state.db')]: [kept]})
  })

  it('a state an older secretctl left (values in free pages) is cleaned by the first writing open; a reading open changes nothing', async () => {
    const dir = fresh()
    const file = path.join(dir, 'state.db')
    // The state as secretctl before 002/003 made it: only the first migration, secure_delete off.
    const db = raw(file)
    await db.migrate.up(migratorConfig)
    const at = new Date().toISOString()
    await db('state_meta').insert({id: 1, lineage: 'l', serial: 0, salt: '00'.repeat(32), created_at: at})
    await db('backends').insert({name: 'default', type: 'plaintext', is_default: true, config: '{}', created_at: at, updated_at: at})
    const gone = [canary('deleted'), canary('updated')]
    const kept = canary('kept')
    for (const [name, value] of [
      ['a', gone[0]],
      ['b', gone[1]],
      ['c', kept],
    ] as const) {
      await db('secrets').insert({
        name,
        backend_id: 1,
        data: JSON.stringify({K: value, pad: 'p'.repeat(500)}),
        keys: '{}',
        created_at: at,
        updated_at: at,
      })
    }
    await db('secrets')
      .where({name: 'b'})
      .update({data: JSON.stringify({K: 'new'})})
    await db('secrets').where({name: 'a'}).delete()
    await db.destroy()
    expect(scan(dir, [...gone, kept])).toEqual({'state.db': [...gone, kept]})

    const before = fs.readFileSync(file)
    const reader = await openState({dir, url: file, access: 'read'})
    expect((await reader.listSecrets()).map((s) => s.name)).toEqual(['b', 'c'])
    expect(await reader.listLocks()).toEqual([])
    await reader.close()
    expect(fs.readFileSync(file).equals(before)).toBe(true)
    expect(fs.readdirSync(dir)).toEqual(['state.db'])

    const writer = await openState({dir, url: file, access: 'write'})
    expect((await writer.readRowData('c'))?.K).toBe(kept)
    await writer.close()
    expect(scan(dir, [...gone, kept])).toEqual({'state.db': [kept]})
  })

  it('a writing open switches a state another tool put in WAL mode back to a rollback journal, leaving no -wal file', async () => {
    const dir = fresh()
    const file = path.join(dir, 'state.db')
    await (await openState({dir, url: file})).close()
    const db = raw(file, 'PRAGMA journal_mode = WAL')
    await db.raw('select 1')
    await db.destroy()
    const state = await openState({dir, url: file, access: 'write'})
    await state.putSecret(place({name: 's', rowData: {K: 'v'}}))
    await state.close()
    const check = raw(file, 'PRAGMA query_only = ON')
    expect((await check.raw('PRAGMA journal_mode'))[0].journal_mode).toBe('delete')
    await check.destroy()
    expect(fs.readdirSync(dir)).toEqual(['state.db'])
  })
})

describe('a journal left by a writer killed mid-transaction (SQLite)', () => {
  /**
   * A writer that updates every secret row inside one transaction and is SIGKILLed before it
   * commits. With a one-page cache SQLite spills changed pages into the file mid-transaction, so
   * the journal it leaves is "hot" (the file must be rolled back); with the default cache it has
   * changed nothing in the file yet and its journal header is still zero.
   */
  async function killWriterMidTransaction(file: string, value: string, opts: {spill: boolean}): Promise<void> {
    const script = path.join(path.dirname(file), 'writer.cjs')
    fs.writeFileSync(
      script,
      `const sqlite3 = require(${JSON.stringify(createRequire(import.meta.url).resolve('sqlite3'))})
const db = new sqlite3.Database(process.argv[2])
db.serialize(() => {
  db.run('PRAGMA cache_size = ${opts.spill ? 1 : -2000}')
  db.run('BEGIN')
  db.run("update secrets set data = ?", [JSON.stringify({K: process.argv[3]})])
  db.run("delete from secrets where name = 's0'", () => process.stdout.write('ready\\n'))
})
setInterval(() => {}, 1000)
`,
    )
    const child = execa('node', [script, file, value], {reject: false})
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => (String(chunk).includes('ready') ? resolve() : undefined))
      child.once('exit', () => reject(new Error('the writer exited before it was ready')))
    })
    child.kill('SIGKILL')
    await child
    fs.rmSync(script)
  }

  for (const spill of [false, true]) {
    it(`is rolled back and removed by the next open, a reading one included (${spill ? 'hot journal' : 'journal not yet committed to'})`, async () => {
      const dir = fresh()
      const file = path.join(dir, 'state.db')
      const state = await openState({dir, url: file})
      const committed = Array.from({length: 40}, (_, i) => canary(`committed${i}`))
      for (const [i, value] of committed.entries()) await state.putSecret(place({name: `s${i}`, rowData: {K: value + 'y'.repeat(300)}}))
      await state.close()

      const uncommitted = canary('uncommitted')
      await killWriterMidTransaction(file, uncommitted, {spill})
      // What the kill leaves: the journal, holding the rows it was changing (values).
      expect(fs.readdirSync(dir).sort()).toEqual(['state.db', 'state.db-journal'])
      expect(fs.readFileSync(`${file}-journal`).includes(committed[0]!)).toBe(true)
      expect(fs.readFileSync(`${file}-journal`)[0] !== 0).toBe(spill)

      const reader = await openState({dir, url: file, access: 'read'})
      const rows = await Promise.all(committed.map((_, i) => reader.readRowData(`s${i}`)))
      await reader.close()
      expect(rows.map((r, i) => r?.K.startsWith(committed[i]!))).toEqual(committed.map(() => true))
      expect(fs.readdirSync(dir)).toEqual(['state.db'])
      expect(scan(dir, [uncommitted])).toEqual({})
    })
  }
})
