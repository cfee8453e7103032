import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {BackendError} from '../../../src/errors.js'
import type {BackendDriver, DriverContext} from '../../../src/backends/driver.js'
import {PlaintextDriver} from '../../../src/backends/plaintext/plaintext-driver.js'
import {createDriver, driverTypes} from '../../../src/backends/registry.js'
import type {StateStore} from '../../../src/state/types.js'
import {stateFactories} from '../../support/state-factories.js'

const factory = stateFactories()[0]!

async function context(state: StateStore, backend: string): Promise<DriverContext> {
  return {
    backend: (await state.getBackend(backend))!,
    state,
    concurrency: 4,
    env: {},
    readTrustRoot: async () => {
      throw new Error('not used')
    },
  }
}

describe('plaintext driver', () => {
  let state: StateStore
  let driver: BackendDriver
  beforeEach(async () => {
    state = await factory.create()
    await state.upsertBackend({name: 'local', type: 'plaintext', description: null, config: {}, rotation: null})
    await state.upsertBackend({name: 'bao', type: 'openbao', description: null, config: {}, rotation: null})
    driver = await createDriver(await context(state, 'default'))
  })
  afterEach(() => factory.cleanup())

  it('is built by the registry and says values live in the state', async () => {
    expect(driver).toBeInstanceOf(PlaintextDriver)
    expect(driver.name).toBe('default')
    expect(driver.type).toBe('plaintext')
    expect(driver.capabilities).toEqual({readOnly: false, versioned: false, storesInState: true, rotatableToken: false, listable: true})
    expect(await driver.health()).toEqual({ok: true, detail: 'ok'})
  })

  it('write does no I/O: it hands the values back as row data', async () => {
    const values = {A: 'one'}
    expect(await driver.write('gh', values)).toEqual({externalRef: null, version: null, rowData: {A: 'one'}})
    expect(await state.getSecret('gh')).toBeUndefined()
  })

  it('reads the row when the secret is on this backend, and lists and reports it', async () => {
    const written = await driver.write('gh', {A: 'one'})
    await state.putSecret({
      name: 'gh',
      backend: 'default',
      externalRef: written.externalRef,
      rowData: written.rowData,
      keys: {},
      backendVersion: written.version,
    })
    await state.putSecret({name: 'elsewhere', backend: 'local', externalRef: null, rowData: {B: 'two'}, keys: {}, backendVersion: null})
    expect(await driver.read('gh')).toEqual({A: 'one'})
    expect(await driver.read('elsewhere')).toBeUndefined()
    expect(await driver.read('missing')).toBeUndefined()
    expect(await driver.list()).toEqual(['gh'])
    expect(await driver.metadata('gh')).toEqual({exists: true, version: null})
    expect(await driver.metadata('elsewhere')).toEqual({exists: false, version: null})
    const local = await createDriver(await context(state, 'local'))
    expect(await local.read('elsewhere')).toEqual({B: 'two'})
    expect(await local.list()).toEqual(['elsewhere'])
  })

  it('delete leaves a row on this backend to state.deleteSecret', async () => {
    await state.putSecret({name: 'gh', backend: 'default', externalRef: null, rowData: {A: 'one'}, keys: {}, backendVersion: null})
    await driver.delete('gh')
    expect(await driver.read('gh')).toEqual({A: 'one'})
    await driver.delete('missing')
  })

  it('reads and deletes a copy retained here by a keepSource move', async () => {
    await state.putSecret({name: 'gh', backend: 'default', externalRef: null, rowData: {A: 'one'}, keys: {}, backendVersion: null})
    await state.putSecret({
      name: 'gh',
      backend: 'bao',
      externalRef: 'secret/gh',
      rowData: null,
      keys: {},
      backendVersion: 1,
      retainOn: {backend: 'default', externalRef: null, rowData: {A: 'one'}},
    })
    expect(await driver.read('gh')).toEqual({A: 'one'})
    expect(await driver.metadata('gh')).toEqual({exists: true, version: null})
    expect(await driver.list()).toEqual([])
    await driver.delete('gh')
    expect(await driver.read('gh')).toBeUndefined()
    expect(await driver.metadata('gh')).toEqual({exists: false, version: null})
    expect((await state.getSecret('gh'))!.backend).toBe('bao')
  })

  it('after a move away without keepSource, holds nothing', async () => {
    await state.putSecret({name: 'gh', backend: 'default', externalRef: null, rowData: {A: 'one'}, keys: {}, backendVersion: null})
    await state.putSecret({name: 'gh', backend: 'bao', externalRef: 'secret/gh', rowData: null, keys: {}, backendVersion: 1})
    await driver.delete('gh')
    expect(await driver.read('gh')).toBeUndefined()
    expect(await state.readRowData('gh')).toBeNull()
  })
})

describe('driver registry', () => {
  afterEach(() => factory.cleanup())

  it('lists the registered types', () => {
    expect(driverTypes()).toContain('plaintext')
  })

  it('refuses an unknown type with a BackendError naming the known ones', async () => {
    const state = await factory.create()
    const ctx = await context(state, 'default')
    const err = (() => {
      try {
        createDriver({...ctx, backend: {...ctx.backend, name: 'x', type: 'nope'}})
      } catch (e) {
        return e
      }
    })() as BackendError
    expect(err).toBeInstanceOf(BackendError)
    expect(err.message).toBe('backend x: unknown backend type nope')
    expect(err.hint).toContain('plaintext')
    expect(() => createDriver({...ctx, backend: {...ctx.backend, type: 'toString'}})).toThrow(BackendError)
  })
})
