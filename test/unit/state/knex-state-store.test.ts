import {createHmac} from 'node:crypto'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {StateError} from '../../../src/errors.js'
import type {KnexStateStore} from '../../../src/state/knex-state-store.js'
import type {KeyRecord, StateStore} from '../../../src/state/types.js'
import {stateFactories, placement} from '../../support/state-factories.js'
import {openState} from '../../../src/state/open-state.js'
import {currentProcess} from '../../../src/state/lock-holder-process.js'

const key = (fingerprint: string): KeyRecord => ({fingerprint, source: 'env', writtenAt: '2025-01-01T00:00:00.000Z'})
const place = placement

/** gh moved to bao with a copy kept on default (`keepSource`). */
const movedToBaoKeepingDefault = () =>
  place({
    name: 'gh',
    backend: 'bao',
    externalRef: 'secret/gh',
    backendVersion: '1',
    retainOn: {backend: 'default', externalRef: null, rowData: {A: 'one'}},
  })
const bao = {name: 'bao', type: 'openbao', description: 'shared', config: {url: 'http://127.0.0.1:8200', mount: 'secret'}, rotation: null}

describe.each(stateFactories().map((f) => [f.name, f] as const))('KnexStateStore (%s)', (_name, factory) => {
  let state: StateStore
  beforeEach(async () => {
    state = await factory.create()
  })
  afterEach(() => factory.cleanup())

  describe('backends', () => {
    it('upserts type, description, config and rotation, but not the default flag', async () => {
      await state.upsertBackend(bao)
      const created = await state.getBackend('bao')
      expect(created).toMatchObject({
        name: 'bao',
        type: 'openbao',
        description: 'shared',
        isDefault: false,
        config: bao.config,
        rotation: null,
        tokenMeta: null,
      })
      await state.setDefaultBackend('bao')
      await state.upsertBackend({...bao, description: null, rotation: {period: '24h'}})
      const updated = await state.getBackend('bao')
      expect(updated).toMatchObject({
        description: null,
        rotation: {period: '24h'},
        isDefault: true,
        id: created!.id,
        createdAt: created!.createdAt,
      })
      expect((await state.listBackends()).map((b) => b.name)).toEqual(['bao', 'default'])
    })

    it('setDefaultBackend leaves exactly one default', async () => {
      await state.upsertBackend(bao)
      await state.upsertBackend({...bao, name: 'other'})
      for (const name of ['bao', 'other', 'default', 'bao']) {
        await state.setDefaultBackend(name)
        const defaults = (await state.listBackends()).filter((b) => b.isDefault).map((b) => b.name)
        expect(defaults).toEqual([name])
      }
      expect((await state.listBackends()).every((b) => typeof b.isDefault === 'boolean')).toBe(true)
      await expect(state.setDefaultBackend('nope')).rejects.toThrow(StateError)
      expect((await state.listBackends()).filter((b) => b.isDefault).map((b) => b.name)).toEqual(['bao'])
    })

    it('stores token metadata', async () => {
      await state.upsertBackend(bao)
      await state.setTokenMeta('bao', {accessor: 'acc', lastRotatedAt: '2025-01-01T00:00:00.000Z', lastRotationError: null})
      expect((await state.getBackend('bao'))!.tokenMeta).toEqual({
        accessor: 'acc',
        lastRotatedAt: '2025-01-01T00:00:00.000Z',
        lastRotationError: null,
      })
      await expect(state.setTokenMeta('nope', {})).rejects.toThrow(StateError)
    })

    it('refuses to delete default, the trust root', async () => {
      await expect(state.deleteBackend('default')).rejects.toThrow('the plaintext backend default is the trust root and cannot be deleted')
      expect(await state.getBackend('default')).toBeDefined()
    })

    it('refuses to delete a backend secrets point at, naming how many and up to 5', async () => {
      await state.upsertBackend(bao)
      for (const n of ['s1', 's2', 's3', 's4', 's5', 's6', 's7'])
        await state.putSecret(place({name: n, backend: 'bao', externalRef: `secret/${n}`}))
      const err = (await state.deleteBackend('bao').catch((e: unknown) => e)) as StateError
      expect(err).toBeInstanceOf(StateError)
      expect(err.message).toBe('backend bao still holds 7 secrets (s1, s2, s3, s4, s5, and 2 more)')
      expect(err.hint).toBe('move or delete those secrets first (apply with --prune)')
      expect(await state.getBackend('bao')).toBeDefined()
    })

    it('refuses to delete the current default; deletes an empty backend and its retained copy records', async () => {
      await state.upsertBackend(bao)
      await state.setDefaultBackend('bao')
      await expect(state.deleteBackend('bao')).rejects.toThrow(/is the default backend/)
      await state.setDefaultBackend('default')
      await state.putSecret(
        place({name: 's', backend: 'default', rowData: {A: '1'}, retainOn: {backend: 'bao', externalRef: 'secret/s', rowData: null}}),
      )
      // A copy kept there keeps the backend: its record never goes while the copy may exist.
      await expect(state.deleteBackend('bao')).rejects.toThrow(/still holds 1 retained copy \(s\)/)
      await state.deleteRetainedCopy('s', 'bao')
      await state.deleteBackend('bao')
      expect(await state.getBackend('bao')).toBeUndefined()
      expect(await state.listRetainedCopies()).toEqual([])
      await state.deleteBackend('bao') // already gone: no error
    })
  })

  describe('secrets', () => {
    it('creates a row with data, keys (sorted) and version', async () => {
      await state.putSecret(place({name: 'gh', rowData: {B: 'two', A: 'one'}, keys: {B: key('fb'), A: key('fa')}}))
      const s = await state.getSecret('gh')
      expect(s).toMatchObject({name: 'gh', backend: 'default', externalRef: null, backendVersion: null})
      expect(Object.keys(s!.keys)).toEqual(['A', 'B'])
      expect(s!.keys.A).toEqual(key('fa'))
      expect(await state.readRowData('gh')).toEqual({A: 'one', B: 'two'})
      expect(await state.readRowData('missing')).toBeNull()
      expect(await state.getSecret('missing')).toBeUndefined()
    })

    it('flips a row to another backend in place: sets the ref and version, clears the data', async () => {
      await state.upsertBackend(bao)
      await state.putSecret(place({name: 'gh', rowData: {A: 'one'}, keys: {A: key('fa')}}))
      const before = (await state.getSecret('gh'))!
      await state.putSecret(
        place({name: 'gh', backend: 'bao', externalRef: 'secret/secretctl/gh', backendVersion: '3', keys: {A: key('fa')}}),
      )
      const after = (await state.getSecret('gh'))!
      expect(after).toMatchObject({
        id: before.id,
        backend: 'bao',
        backendId: (await state.getBackend('bao'))!.id,
        externalRef: 'secret/secretctl/gh',
        backendVersion: '3',
        createdAt: before.createdAt,
      })
      expect(await state.readRowData('gh')).toBeNull()
      expect((await state.listSecrets()).map((s) => s.name)).toEqual(['gh'])
    })

    it('refuses a placement on an unknown backend and leaves the row as it was', async () => {
      await state.putSecret(place({name: 'gh', rowData: {A: 'one'}}))
      await expect(state.putSecret(place({name: 'gh', backend: 'nope'}))).rejects.toThrow(/backend nope does not exist/)
      expect((await state.getSecret('gh'))!.backend).toBe('default')
      expect(await state.readRowData('gh')).toEqual({A: 'one'})
    })

    it('records a retained copy on a keepSource move and drops it when the secret comes back', async () => {
      await state.upsertBackend(bao)
      await state.putSecret(place({name: 'gh', rowData: {A: 'one'}}))
      await state.putSecret(movedToBaoKeepingDefault())
      const copies = await state.listRetainedCopies()
      expect(copies).toEqual([{secretName: 'gh', backend: 'default', externalRef: null, pending: false, createdAt: expect.any(String)}])
      const store = state as KnexStateStore
      expect(await store.readRetainedData('gh', 'default')).toEqual({A: 'one'})
      expect(await store.readRetainedData('gh', 'bao')).toBeUndefined()

      // Move back to default, keeping the copy on bao: default's retained copy is now the row.
      await state.putSecret(
        place({name: 'gh', backend: 'default', rowData: {A: 'one'}, retainOn: {backend: 'bao', externalRef: 'secret/gh', rowData: null}}),
      )
      expect(await state.listRetainedCopies()).toEqual([
        {secretName: 'gh', backend: 'bao', externalRef: 'secret/gh', pending: false, createdAt: expect.any(String)},
      ])
      expect(await store.readRetainedData('gh', 'bao')).toBeNull()

      // Retaining again on the same backend updates the record instead of failing.
      await state.putSecret(
        place({name: 'gh', backend: 'default', rowData: {A: 'two'}, retainOn: {backend: 'bao', externalRef: 'secret/gh2', rowData: null}}),
      )
      expect((await state.listRetainedCopies()).map((c) => c.externalRef)).toEqual(['secret/gh2'])

      await store.deleteRetainedCopy('gh', 'bao')
      expect(await state.listRetainedCopies()).toEqual([])
      await store.deleteRetainedCopy('gh', 'bao') // none left: nothing to do, no error
      expect(await state.listRetainedCopies()).toEqual([])
    })

    it('while it holds the lock: a copy retained after a look found none is still dropped when the secret comes back', async () => {
      // The store skips the look for retained copies while it holds the lock and has recorded none since it last looked.
      const handle = await state.acquireLock({...currentProcess(), actor: 'tester', command: 'apply'}, {timeoutMs: 0})
      try {
        await state.upsertBackend(bao)
        await state.putSecret(place({name: 'gh', rowData: {A: 'one'}})) // looks: none
        await state.putSecret(place({name: 'other', rowData: {B: 'two'}})) // none known
        await state.putSecret(movedToBaoKeepingDefault())
        expect((await state.listRetainedCopies()).map((c) => c.backend)).toEqual(['default'])
        await state.putSecret(place({name: 'gh', backend: 'default', rowData: {A: 'one'}}))
        expect(await state.listRetainedCopies()).toEqual([])
      } finally {
        await handle.release()
      }
    })

    it('deletes a row and its data', async () => {
      await state.putSecret(place({name: 'gh', rowData: {A: 'one'}}))
      await state.deleteSecret('gh')
      expect(await state.getSecret('gh')).toBeUndefined()
      expect(await state.readRowData('gh')).toBeNull()
      await state.deleteSecret('gh')
    })

    it('lists secrets sorted by name', async () => {
      for (const n of ['b', 'c', 'a']) await state.putSecret(place({name: n}))
      expect((await state.listSecrets()).map((s) => s.name)).toEqual(['a', 'b', 'c'])
    })
  })

  describe('writes issued together (group commit)', () => {
    it('commit together, and one naming a missing backend fails alone', async () => {
      await state.upsertBackend(bao)
      const names = Array.from({length: 60}, (_, i) => `s${String(i).padStart(2, '0')}`)
      const results = await Promise.allSettled([
        ...names.map((name, i) =>
          state.putSecret(
            place({name, backend: i % 2 ? 'bao' : 'default', rowData: i % 2 ? null : {K: `v-${name}`}, keys: {K: key(`f-${name}`)}}),
          ),
        ),
        state.putSecret(place({name: 'lost', backend: 'nope'})),
        ...names.map((name) => state.audit({runId: 'r', actor: 'a', address: `secret.${name}`, action: 'create', outcome: 'applied'})),
      ])
      const rejected = results.filter((r) => r.status === 'rejected')
      expect(rejected).toHaveLength(1)
      expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(StateError)
      expect((rejected[0] as PromiseRejectedResult).reason.message).toContain('backend nope does not exist')

      const rows = await state.listSecrets()
      expect(rows.map((r) => r.name)).toEqual(names)
      expect(rows.filter((r) => r.backend === 'bao')).toHaveLength(30)
      expect(await state.listAudit()).toHaveLength(60)
    })

    it('a group keeps every character of what it writes, in order (names, values, keys, versions, audit details)', async () => {
      await state.upsertBackend(bao)
      const odd = ['quote " and \\ backslash', 'line\nbreak\ttab', 'ünïcødé ✓ 🔑', '\u2028\u2029', "it's", '[1,"x"]', '{"K":"v"}', '']
      const written = odd.map((text, i) => ({
        name: `odd${i}`,
        rowData: i % 2 ? null : {K: text},
        keys: {K: {...key(`f${i}`), source: `file:${text}`}},
        backendVersion: i % 2 ? String(i + 1) : null,
        externalRef: i % 2 ? `secret/${text}` : null,
      }))
      await Promise.all([
        ...written.map((w, i) => state.putSecret(place({...w, backend: i % 2 ? 'bao' : 'default'}))),
        ...odd.map((text, i) =>
          state.audit({runId: 'r', actor: 'a', address: `secret.odd${i}`, action: 'create', outcome: 'applied', detail: text}),
        ),
      ])
      for (const [i, w] of written.entries()) {
        const row = await state.getSecret(w.name)
        expect([row?.keys, row?.backendVersion, row?.externalRef]).toEqual([w.keys, w.backendVersion, w.externalRef])
        expect(await state.readRowData(w.name)).toEqual(w.rowData)
        expect(row?.backend).toBe(i % 2 ? 'bao' : 'default')
      }
      const audit = (await state.listAudit()).reverse()
      expect(audit.map((a) => [a.address, a.detail])).toEqual(odd.map((text, i) => [`secret.odd${i}`, text]))
    })

    it('each row read issued at once gets its own row; onBackend filters by placement', async () => {
      await state.upsertBackend(bao)
      const names = Array.from({length: 40}, (_, i) => `r${i}`)
      await Promise.all(names.map((name) => state.putSecret(place({name, rowData: {K: `value-of-${name}`}}))))
      await state.putSecret(place({name: 'on-bao', backend: 'bao', externalRef: 'secret/on-bao'}))
      const reads = await Promise.all([...names, 'missing'].map((name) => state.readRowData(name)))
      expect(reads).toEqual([...names.map((name) => ({K: `value-of-${name}`})), null])
      expect(await state.readRowData('r1', 'default')).toEqual({K: 'value-of-r1'})
      expect(await state.readRowData('r1', 'bao')).toBeNull()
      expect(await state.readRowData('on-bao', 'bao')).toBeNull()
    })

    // On SQLite (where the store's location is a reusable URL; Postgres's is masked).
    it.skipIf(factory.dialect !== 'sqlite')('a write has committed when its promise settles: a second connection sees it', async () => {
      const url = state.location
      await Promise.all([
        state.putSecret(place({name: 'seen', rowData: {K: 'v'}})),
        state.audit({runId: 'r', actor: 'a', address: 'secret.seen', action: 'create', outcome: 'applied'}),
      ])
      const other = await openState({url, dir: '/'})
      try {
        expect((await other.getSecret('seen'))?.name).toBe('seen')
        expect(await other.listAudit()).toHaveLength(1)
      } finally {
        await other.close()
      }
    })
  })

  describe('fingerprints, serial, audit', () => {
    it('fingerprint is HMAC-SHA-256 with the salt: deterministic within a state, different across states', async () => {
      const a1 = await state.fingerprint('TOKEN', 'value')
      expect(await state.fingerprint('TOKEN', 'value')).toBe(a1)
      expect(await state.fingerprint('TOKEN', 'other')).not.toBe(a1)
      // The key is part of the MAC, separated by NUL: (k, "xv") and (kx, "v") differ.
      expect(await state.fingerprint('k', 'xv')).not.toBe(await state.fingerprint('kx', 'v'))
      const other = await factory.create()
      expect(await other.fingerprint('TOKEN', 'value')).not.toBe(a1)
      // Not a bare hash of the input.
      expect(a1).not.toBe(createHmac('sha256', Buffer.alloc(32)).update('TOKEN\0value').digest('hex'))
    })

    it('bumpSerial adds one each time and returns the new serial', async () => {
      expect(await state.bumpSerial()).toBe(1)
      expect(await state.bumpSerial()).toBe(2)
      expect(await Promise.all([state.bumpSerial(), state.bumpSerial(), state.bumpSerial()])).toHaveLength(3)
      expect((await state.meta()).serial).toBe(5)
    })

    it('lists audit entries newest first, with a limit', async () => {
      for (const [i, outcome] of ['applied', 'failed', 'skipped'].entries()) {
        await state.audit({
          runId: 'run-1',
          actor: 'ci',
          address: `secret.s${i}`,
          action: 'create',
          outcome,
          ...(i === 1 ? {detail: 'forbidden'} : {}),
        })
      }
      const all = await state.listAudit()
      expect(all.map((r) => r.address)).toEqual(['secret.s2', 'secret.s1', 'secret.s0'])
      expect(all[1]).toMatchObject({runId: 'run-1', actor: 'ci', action: 'create', outcome: 'failed', detail: 'forbidden'})
      expect(all[0]!.detail).toBeUndefined()
      expect(all[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/)
      expect((await state.listAudit({limit: 2})).map((r) => r.address)).toEqual(['secret.s2', 'secret.s1'])
    })

    it('reports a redacted location', () => {
      expect(state.location).toMatch(factory.dialect === 'sqlite' ? /^sqlite:\/.*state\.db$/ : /^postgres(ql)?:\/\//)
      expect(state.location).not.toMatch(/:[^*/@]+@/)
    })
  })
})
