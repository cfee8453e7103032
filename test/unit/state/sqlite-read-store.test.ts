import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {MissingStateError} from '../../../src/errors.js'
import {openKnexState} from '../../../src/state/open-knex-state.js'
import {openState} from '../../../src/state/open-state.js'
import {SqliteReadStore} from '../../../src/state/sqlite-read-store.js'
import {ROWS_PER_PAGE} from '../../../src/state/state-rows.js'
import type {KindStateStore} from '../../../src/state/kind-state-store.js'
import type {RetainedCopyStore} from '../../../src/state/retained-copy-store.js'
import type {KeyRecord, StateStore} from '../../../src/state/types.js'
import {tempDir, placement} from '../../support/state-factories.js'

type FullStore = StateStore & RetainedCopyStore & KindStateStore

const key = (fingerprint: string): KeyRecord => ({fingerprint, source: 'file', writtenAt: '2025-01-01T00:00:00.000Z'})
const place = placement
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex')

describe('a reading open of a SQLite state (no knex)', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
  })

  /** A state with two backends, row data, keys, a version, a retained copy and a kind state, written through knex. */
  async function writtenState(): Promise<{dir: string; file: string}> {
    const dir = tempDir()
    dirs.push(dir)
    const state = (await openState({dir})) as FullStore
    await state.upsertBackend({
      name: 'bao',
      type: 'openbao',
      description: 'shared',
      config: {url: 'http://127.0.0.1:8200'},
      rotation: {period: '24h'},
    })
    await state.putSecret(place({name: 'alpha', rowData: {API_KEY: 'row-value-1'}, keys: {API_KEY: key('f1'), B: key('f2')}}))
    await state.putSecret(place({name: 'beta', backend: 'bao', externalRef: 'secret/beta', backendVersion: '7', keys: {TOKEN: key('f3')}}))
    await state.putSecret(
      place({
        name: 'gamma',
        backend: 'bao',
        externalRef: 'secret/gamma',
        keys: {K: key('f4')},
        retainOn: {backend: 'default', externalRef: null, rowData: {K: 'retained-value'}, pending: true},
      }),
    )
    await state.claimKindState('bao', {header: 'h1'})
    await state.close()
    return {dir, file: path.join(dir, '.secretctl', 'state.db')}
  }

  it('reads every row of a state larger than a page, in name order, through both stores alike', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const state = (await openState({dir})) as FullStore
    const names = Array.from({length: ROWS_PER_PAGE * 2 + 1}, (_, i) => `s-${String(i).padStart(5, '0')}`)
    await Promise.all(names.map((name) => state.putSecret(place({name, keys: {K: key(name)}}))))
    await state.close()
    const reader = (await openState({dir, access: 'read'})) as FullStore
    const viaKnex = (await openKnexState({dialect: 'sqlite', file: path.join(dir, '.secretctl', 'state.db')}, dir, 'read')) as FullStore
    try {
      const rows = await reader.listSecrets()
      expect(rows.map((r) => r.name)).toEqual(names)
      expect(await viaKnex.listSecrets()).toEqual(rows)
    } finally {
      await reader.close()
      await viaKnex.close()
    }
  })

  it('reads every record exactly as the knex store reads it', async () => {
    const {dir, file} = await writtenState()
    const reader = (await openState({dir, access: 'read'})) as FullStore
    const viaKnex = (await openKnexState({dialect: 'sqlite', file}, dir, 'read')) as FullStore
    try {
      expect(reader).toBeInstanceOf(SqliteReadStore)
      expect(viaKnex).not.toBeInstanceOf(SqliteReadStore)
      for (const s of [reader, viaKnex]) expect(s.location).toBe(`sqlite:${file}`)
      expect(await reader.meta()).toEqual(await viaKnex.meta())
      expect(await reader.fingerprint('K', 'v')).toBe(await viaKnex.fingerprint('K', 'v'))
      expect((await reader.fingerprinter())('K', Buffer.from('v'))).toBe((await viaKnex.fingerprinter())('K', Buffer.from('v')))
      expect(await reader.listBackends()).toEqual(await viaKnex.listBackends())
      expect(await reader.getBackend('bao')).toEqual(await viaKnex.getBackend('bao'))
      expect(await reader.getBackend('nope')).toBeUndefined()
      const secrets = await reader.listSecrets()
      expect(secrets.map((s) => s.name)).toEqual(['alpha', 'beta', 'gamma'])
      expect(secrets).toEqual(await viaKnex.listSecrets())
      for (const name of ['alpha', 'beta', 'nope']) expect(await reader.getSecret(name)).toEqual(await viaKnex.getSecret(name))
      const some = await reader.getSecrets(['gamma', 'nope', 'alpha'])
      expect(some.map((s) => s.name).sort()).toEqual(['alpha', 'gamma'])
      expect(some).toEqual(expect.arrayContaining(await viaKnex.getSecrets(['gamma', 'nope', 'alpha'])))
      expect(some).toEqual(expect.arrayContaining(secrets.filter((s) => s.name !== 'beta')))
      // Row reads issued together (one batch), and one on the wrong backend.
      const rows = await Promise.all(['alpha', 'beta', 'nope'].map((n) => reader.readRowData(n)))
      expect(rows).toEqual(await Promise.all(['alpha', 'beta', 'nope'].map((n) => viaKnex.readRowData(n))))
      expect(rows[0]).toEqual({API_KEY: 'row-value-1'})
      expect(await reader.readRowData('alpha', 'bao')).toBeNull()
      expect(await reader.listRetainedCopies()).toEqual(await viaKnex.listRetainedCopies())
      expect((await reader.listRetainedCopies())[0]).toMatchObject({secretName: 'gamma', backend: 'default', pending: true})
      expect(await reader.readRetainedData('gamma', 'default')).toEqual(await viaKnex.readRetainedData('gamma', 'default'))
      expect(await reader.readRetainedData('gamma', 'bao')).toBeUndefined()
      expect(await reader.readKindState('bao')).toEqual({header: 'h1'})
      expect(await reader.readKindState('default')).toEqual(await viaKnex.readKindState('default'))
      // What it does not read itself goes through knex.
      expect(await reader.listLocks()).toEqual(await viaKnex.listLocks())
      expect(await reader.listAudit()).toEqual(await viaKnex.listAudit())
    } finally {
      await reader.close()
      await viaKnex.close()
    }
  })

  it('changes nothing: a write through it is refused, and the file is byte for byte as before', async () => {
    const {dir, file} = await writtenState()
    const before = sha256(file)
    const reader = await openState({dir, access: 'read'})
    await expect(reader.putSecret(place({name: 'delta'}))).rejects.toThrow()
    await expect(reader.deleteSecret('alpha')).rejects.toThrow()
    await reader.close()
    expect(sha256(file)).toBe(before)
    expect(fs.existsSync(`${file}-journal`)).toBe(false)
  })

  it('with no state: empty for read-or-empty, MissingStateError for read; nothing created', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const empty = await openState({dir, access: 'read-or-empty'})
    expect(empty.exists).toBe(false)
    await empty.close()
    await expect(openState({dir, access: 'read'})).rejects.toBeInstanceOf(MissingStateError)
    expect(fs.existsSync(path.join(dir, '.secretctl'))).toBe(false)
  })

  it('leaves a state with a leftover rollback journal to the knex path, which deals with it first', async () => {
    const {dir, file} = await writtenState()
    fs.writeFileSync(`${file}-journal`, '')
    const state = await openState({dir, access: 'read'})
    try {
      expect(state).not.toBeInstanceOf(SqliteReadStore)
      expect((await state.listSecrets()).map((s) => s.name)).toEqual(['alpha', 'beta', 'gamma'])
    } finally {
      await state.close()
    }
  })

  it('refuses a file that is not a secretctl state, naming it, as the knex path does', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const file = path.join(dir, 'other.db')
    fs.writeFileSync(file, 'not a database at all, just text')
    const err = (await openState({dir, url: `sqlite:${file}`, access: 'read'}).catch((e: unknown) => e)) as Error
    expect(err.message).toContain(file)
  })
})
