import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {StateError} from '../../../src/errors.js'
import {hasKindState, type KindStateStore} from '../../../src/state/kind-state-store.js'
import type {StateStore} from '../../../src/state/types.js'
import {stateFactories} from '../../support/state-factories.js'

const enc = {name: 'enc', type: 'encrypted', description: null, config: {}, rotation: null}

describe.each(stateFactories().map((f) => [f.name, f] as const))('kind state (%s)', (_name, factory) => {
  let state: StateStore & KindStateStore
  beforeEach(async () => {
    const s = await factory.create()
    if (!hasKindState(s)) throw new Error('the knex store keeps kind state')
    state = s
    await state.upsertBackend(enc)
    await state.upsertBackend({...enc, name: 'other', type: 'plaintext'})
  })
  afterEach(() => factory.cleanup())

  it('is null until claimed; the first claim wins, and apply updating the config keeps it', async () => {
    expect(await state.readKindState('enc')).toBeNull()
    expect(await state.readKindState('nope')).toBeNull()
    const [a, b] = await Promise.all([state.claimKindState('enc', {n: 1}), state.claimKindState('enc', {n: 2})])
    expect(a).toEqual(b)
    await state.upsertBackend({...enc, description: 'changed', config: {path: 'x'}})
    expect(await state.readKindState('enc')).toEqual(a)
    await expect(state.claimKindState('nope', {n: 1})).rejects.toBeInstanceOf(StateError)
  })

  it('rewrites the kind state, rows and retained copies of one backend in one transaction', async () => {
    await state.claimKindState('enc', {key: 'old'})
    await state.putSecret({name: 'a', backend: 'enc', externalRef: null, rowData: {K: 'a-old'}, keys: {}, backendVersion: null})
    await state.putSecret({name: 'b', backend: 'other', externalRef: null, rowData: {K: 'b'}, keys: {}, backendVersion: null})
    await state.putSecret({name: 'c', backend: 'enc', externalRef: null, rowData: {K: 'c-old'}, keys: {}, backendVersion: null})
    await state.putSecret({
      name: 'c',
      backend: 'other',
      externalRef: null,
      rowData: {K: 'c'},
      keys: {},
      backendVersion: null,
      retainOn: {backend: 'enc', externalRef: null, rowData: {K: 'c-old'}},
    })
    const updated = await state.rewriteBackendData('enc', (current) => {
      expect(current).toEqual({kindState: {key: 'old'}, rows: {a: {K: 'a-old'}}, retained: {c: {K: 'c-old'}}})
      return {kindState: {key: 'new'}, rows: {a: {K: 'a-new'}, b: {K: 'not on enc'}}, retained: {c: {K: 'c-new'}}}
    })
    expect(updated).toBe(2)
    expect(await state.readKindState('enc')).toEqual({key: 'new'})
    expect(await state.readRowData('a')).toEqual({K: 'a-new'})
    expect(await state.readRowData('b')).toEqual({K: 'b'})
    expect(await state.readRowData('c')).toEqual({K: 'c'})
  })

  it('a rewrite that throws changes nothing', async () => {
    await state.claimKindState('enc', {key: 'old'})
    await state.putSecret({name: 'a', backend: 'enc', externalRef: null, rowData: {K: 'a-old'}, keys: {}, backendVersion: null})
    await expect(
      state.rewriteBackendData('enc', () => {
        throw new StateError('no')
      }),
    ).rejects.toBeInstanceOf(StateError)
    expect(await state.readKindState('enc')).toEqual({key: 'old'})
    expect(await state.readRowData('a')).toEqual({K: 'a-old'})
  })
})
