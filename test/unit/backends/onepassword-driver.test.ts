/**
 * The onepassword driver against the 1Password Connect test server: refs (by name, by ID, with a
 * section, case-insensitive fields), the kind's convention (item titled like the secret, in the
 * backend's vault), the whole item, versions for drift without reading values, missing versus
 * forbidden (403 is never "missing"), a refused token, retries, and read-only writes refused.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startOnePasswordServer, type OnePasswordServer} from '../../support/onepassword/index.js'
import {OnePasswordDriver, createOnePasswordDriver} from '../../../src/backends/onepassword/onepassword-driver.js'
import {checkOpRef} from '../../../src/backends/onepassword/onepassword-refs.js'
import type {DriverContext} from '../../../src/backends/driver.js'
import {failure} from './driver-assertions.js'

let op: OnePasswordServer
beforeAll(async () => {
  op = await startOnePasswordServer()
  op.createVault('Eng')
  op.createVault('Other')
  op.createItem('Eng', {title: 'github', fields: {GITHUB_TOKEN: 'gh-value', WEBHOOK: 'hook-value', 'not a key': 'x'}})
  op.createItem('Eng', {
    title: 'Prod DB',
    category: 'DATABASE',
    sections: [{id: 'admin', label: 'Admin'}],
    fields: [
      {id: 'pw1', label: 'password', value: 'app-pw', type: 'CONCEALED'},
      {id: 'pw2', label: 'password', value: 'admin-pw', type: 'CONCEALED', section: {id: 'admin'}},
      {id: 'user1', label: 'username', value: 'app'},
    ],
  })
  op.createItem('Other', {title: 'twin', fields: {K: 'a'}})
  op.createItem('Other', {title: 'twin', fields: {K: 'b'}})
})
afterAll(async () => op?.close())

function context(token: string, config: Record<string, unknown> = {}): DriverContext {
  return {
    backend: {
      id: 1,
      name: 'op',
      type: 'onepassword',
      description: null,
      isDefault: false,
      config: {url: op.url, tokenSecretRef: {name: 'op-creds', key: 'token'}, vault: 'Eng', ...config},
      rotation: null,
      tokenMeta: null,
      createdAt: '',
      updatedAt: '',
    },
    state: {} as never,
    readTrustRoot: async () => token,
    concurrency: 4,
    env: {},
  }
}

function driver(token = op.token, config: Record<string, unknown> = {}): OnePasswordDriver {
  return new OnePasswordDriver(context(token, config), {minRetryMs: 1, maxRetryMs: 5, retries: 2})
}

describe('onepassword driver', () => {
  it('is built by the registered factory, read-only and versioned', () => {
    const d = createOnePasswordDriver(context(op.token))
    expect(d.type).toBe('onepassword')
    expect(d.capabilities).toEqual({readOnly: true, versioned: true, storesInState: false, rotatableToken: false, listable: false})
  })

  it('reads fields named by refs: by label (any case), in a section, by field ID', async () => {
    const d = driver()
    const values = await d.read('db', {
      APP: 'op://Eng/Prod DB/pw1',
      ADMIN: 'op://Eng/Prod DB/admin/PASSWORD',
      USER: 'op://Eng/Prod DB/Username',
    })
    expect(values).toEqual({APP: 'app-pw', ADMIN: 'admin-pw', USER: 'app'})
  })

  it('follows the convention for a key without a ref: the field KEY of the item titled like the secret, in config.vault', async () => {
    const d = driver()
    expect(await d.read('github', {GITHUB_TOKEN: null})).toEqual({GITHUB_TOKEN: 'gh-value'})
    // No refs at all: the whole item, each field whose label is a valid key name.
    expect(await d.read('github')).toEqual({GITHUB_TOKEN: 'gh-value', WEBHOOK: 'hook-value'})
  })

  it('reports the item version without reading any value, and sees a new version after an edit', async () => {
    const d = driver()
    op.clearLog()
    const before = await d.metadata('github')
    expect(before.exists).toBe(true)
    const id = op.readItem('Eng', 'github')!.id
    expect(before.version).toBe(`${id}:1`)
    expect(before.externalRef).toBe('op://Eng/github')
    expect(op.valueReads()).toHaveLength(0)
    op.editItem('Eng', 'github', {values: {WEBHOOK: 'hook-2'}})
    expect((await d.metadata('github')).version).toBe(`${id}:2`)
    // Several items: every item's id and version.
    const both = await d.metadata('mixed', {A: 'op://Eng/github/WEBHOOK', B: 'op://Eng/Prod DB/username'})
    expect(both.version?.split(',')).toHaveLength(2)
  })

  it('a secret whose item is not there is missing; an item by ID that is not there too', async () => {
    const d = driver()
    expect(await d.metadata('absent')).toEqual({exists: false, version: null})
    expect(await d.read('absent')).toBeUndefined()
    expect(await d.read('x', {K: 'op://Eng/abcdefghijklmnopqrstuvwxyz/f'})).toBeUndefined()
  })

  it('resolves vaults and items by ID too', async () => {
    const vault = op.vaults().find((v) => v.name === 'Eng')!
    const item = op.readItem('Eng', 'Prod DB')!
    const d = driver()
    expect(await d.read('db', {U: `op://${vault.id}/${item.id}/username`})).toEqual({U: 'app'})
    expect((await d.metadata('db', {U: `op://${vault.id}/${item.id}/username`})).version).toBe(`${item.id}:${item.version}`)
  })

  it('a field or section that is not there, two fields with one label, or two items with one title are errors, not "missing"', async () => {
    const d = driver()
    expect((await failure(d.read('github', {NOPE: null}))).message).toMatch(
      /item github has no field NOPE \(op:\/\/Eng\/github\/NOPE, key NOPE\)/,
    )
    expect((await failure(d.read('db', {K: 'op://Eng/Prod DB/ops/password'}))).message).toMatch(/no section ops/)
    expect((await failure(d.read('db', {K: 'op://Eng/Prod DB/password'}))).message).toMatch(/2 fields labelled password/)
    expect((await failure(d.read('twin', {K: 'op://Other/twin/K'}))).message).toMatch(/2 items are titled twin/)
    expect((await failure(d.read('db', {K: 'op://Nowhere/x/y'}))).message).toMatch(/no vault named Nowhere is visible to the token/)
  })

  it('a token without access to the vault is forbidden (403), never "missing"', async () => {
    const {token} = op.createToken({vaults: {Other: 'read'}})
    const vault = op.vaults().find((v) => v.name === 'Eng')!
    const d = driver(token)
    const err = await failure(d.metadata('github', {K: `op://${vault.id}/github/GITHUB_TOKEN`}))
    expect(err.forbidden).toBe(true)
    expect(err.message).toMatch(/permission denied .*403/)
    expect(err.message).not.toContain(token)
    const readErr = await failure(d.read('github', {K: `op://${vault.id}/github/GITHUB_TOKEN`}))
    expect(readErr.forbidden).toBe(true)
  })

  it('a refused token is a 401 error that names neither the token nor a value', async () => {
    const d = driver('not-a-token')
    const err = await failure(d.read('github'))
    expect(err.message).toMatch(/refused the token .*401/)
    expect(err.message).not.toContain('not-a-token')
    expect(err.message).not.toContain('gh-value')
  })

  it('retries transient answers and dropped connections', async () => {
    const d = driver()
    op.faults.failNext(2, {path: 'vaults/+/items/+', status: 503})
    expect(await d.read('github', {GITHUB_TOKEN: null})).toEqual({GITHUB_TOKEN: 'gh-value'})
    op.faults.dropConnection({path: 'vaults/+/items'})
    expect((await d.metadata('github')).exists).toBe(true)
    op.faults.clear()
  })

  it('refuses to write or delete, and reports health', async () => {
    const d = driver()
    expect((await failure(d.write())).message).toMatch(/read-only/)
    expect((await failure(d.delete())).message).toMatch(/read-only/)
    expect(await d.health()).toEqual({ok: true, detail: 'ok'})
    const down = new OnePasswordDriver(context(op.token, {url: 'http://127.0.0.1:9'}), {retries: 0})
    expect((await down.health()).ok).toBe(false)
    await d.close()
  })

  it('a key without a ref needs config.vault', async () => {
    const d = driver(op.token, {vault: undefined})
    expect((await failure(d.read('github', {K: null}))).message).toMatch(/names no vault/)
  })

  it('checks refs as written without repeating them', () => {
    expect(checkOpRef('op://Eng/item/field')).toBeUndefined()
    expect(checkOpRef('op://Eng/item/section/field')).toBeUndefined()
    expect(checkOpRef('ghp_literal_value')).toMatch(/op:\/\//)
    expect(checkOpRef('op://Eng/item')).toMatch(/vault\/item\/field/)
    expect(checkOpRef('op://Eng//field')).toMatch(/empty/)
    expect(checkOpRef('op://Eng/item/field?attribute=otp')).toMatch(/query/)
    expect(checkOpRef('ghp_literal_value')).not.toContain('ghp_literal_value')
  })
})
