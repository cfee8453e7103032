/**
 * A failing statement must not carry the values it was writing into its error message (knex
 * interpolates bindings into errors unless told not to).
 */
import {describe, it, expect, afterAll} from 'vitest'
import {stateFactories} from '../../support/state-factories.js'

const factories = stateFactories()
afterAll(async () => {
  for (const f of factories) await f.cleanup()
})

describe.each(factories.map((f) => [f.name, f] as const))('%s', (_name, factory) => {
  it('an error while writing a secret row does not contain the value', async () => {
    const state = await factory.create()
    const value = 'CANARY-in-a-failing-write-' + Math.random().toString(36).slice(2)
    const err = await state
      .putSecret({name: 'x', backend: 'no-such-backend', externalRef: null, rowData: {K: value}, keys: {}, backendVersion: null})
      .then(
        () => undefined,
        (e: Error) => e,
      )
    expect(err).toBeInstanceOf(Error)
    expect(String(err!.message)).not.toContain(value)
    // A failure inside the database itself (a constraint) must not echo the bindings either.
    await state.putSecret({name: 'y', backend: 'default', externalRef: null, rowData: {K: 'v'}, keys: {}, backendVersion: null})
    const raw = (state as unknown as {db: {raw(sql: string, b: unknown[]): Promise<unknown>}}).db
    const dup = await raw
      .raw(
        'insert into secrets (id, name, backend_id, keys, created_at, updated_at, data) select id, name, backend_id, keys, created_at, updated_at, ? from secrets where name = ?',
        [value, 'y'],
      )
      .then(
        () => undefined,
        (e: Error) => e,
      )
    expect(dup).toBeInstanceOf(Error)
    expect(String(dup!.message)).not.toContain(value)
  })
})
