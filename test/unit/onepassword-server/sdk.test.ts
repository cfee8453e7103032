/**
 * The independent check: the official 1Password Connect JavaScript SDK (`@1password/connect`),
 * written for real Connect servers, run unchanged against the test server — reads, title
 * lookups, writes, files, and the errors as the SDK surfaces them (it rejects with the server's
 * `{status, message}` body).
 */
import {FieldPurpose, FieldType, FullItem, GeneratorRecipe, ItemBuilder, OnePasswordConnect} from '@1password/connect'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {type ConnectVault, type OnePasswordServer, startOnePasswordServer} from '../../support/onepassword/index.js'

describe('1Password Connect test server: the official JavaScript SDK', () => {
  let op: OnePasswordServer
  let prod: ConnectVault
  let staging: ConnectVault
  beforeEach(async () => {
    op = await startOnePasswordServer()
    prod = op.createVault({name: 'Prod', description: 'production secrets'})
    staging = op.createVault('Staging')
    op.createItem('Prod', {
      title: 'Postgres "main"',
      category: 'DATABASE',
      tags: ['db'],
      sections: [{id: 'conn', label: 'Connection'}],
      fields: [
        {id: 'username', label: 'username', value: 'app', type: 'STRING', purpose: 'USERNAME'},
        {id: 'password', label: 'password', value: 'pg-secret', type: 'CONCEALED', purpose: 'PASSWORD'},
        {label: 'host', value: 'db.internal', section: {id: 'conn'}},
      ],
    })
    op.createItem('Prod', {title: 'stripe', category: 'API_CREDENTIAL', fields: {credential: 'sk_live_x'}})
    op.createItem('Staging', {title: 'stripe', category: 'API_CREDENTIAL', fields: {credential: 'sk_test_x'}})
  })
  afterEach(async () => {
    await op.close()
  })

  const client = (token = op.token) => OnePasswordConnect({serverURL: op.url, token, keepAlive: true})

  it('lists and gets vaults, by id and by name', async () => {
    const sdk = client()
    const vaults = await sdk.listVaults()
    expect(vaults.map((v) => v.name).sort()).toEqual(['Prod', 'Staging'])
    const byId = await sdk.getVault(prod.id)
    expect(byId).toMatchObject({id: prod.id, name: 'Prod', description: 'production secrets', items: 2, type: 'USER_CREATED'})
    expect(byId.createdAt).toBeInstanceOf(Date)
    expect((await sdk.getVault('Staging')).id).toBe(staging.id)
    expect((await sdk.listVaultsByTitle('Prod')).map((v) => v.id)).toEqual([prod.id])
    await expect(sdk.getVaultByTitle('Nope')).rejects.toEqual({status: 404, message: 'No Vaults found with title'})
  })

  it('lists items, finds them by title (exact and contains), and reads fields and sections', async () => {
    const sdk = client()
    const items = await sdk.listItems(prod.id)
    expect(items.map((i) => i.title).sort()).toEqual(['Postgres "main"', 'stripe'])
    expect(items[0]).not.toHaveProperty('fields')

    const [db] = await sdk.listItemsByTitle(prod.id, 'Postgres "main"')
    expect(db).toBeDefined()
    expect(db!.version).toBe(1)
    expect(db!.category).toBe('DATABASE')
    expect(db!.tags).toEqual(['db'])
    expect(db!.vault?.id).toBe(prod.id)
    expect(db!.sections).toEqual([{id: 'conn', label: 'Connection'}])
    const fields = Object.fromEntries((db!.fields ?? []).map((f) => [f.label, f]))
    expect(fields.username).toMatchObject({id: 'username', value: 'app', type: 'STRING', purpose: 'USERNAME'})
    expect(fields.password).toMatchObject({value: 'pg-secret', type: 'CONCEALED', purpose: 'PASSWORD'})
    expect(fields.host).toMatchObject({value: 'db.internal', section: {id: 'conn'}})
    expect(fields.host!.id).toMatch(/^[a-z0-9]{26}$/)

    expect((await sdk.getItem(prod.id, db!.id!)).title).toBe('Postgres "main"')
    expect((await sdk.getItemByTitle(prod.id, 'stripe')).fields?.[0]?.value).toBe('sk_live_x')
    expect((await sdk.listItemsByTitleContains(prod.id, 'main')).map((i) => i.title)).toEqual(['Postgres "main"'])
    await expect(sdk.getItemByTitle(prod.id, 'absent')).rejects.toEqual({status: 404, message: 'No Items found with title'})
  })

  it('reports several items with one title as the SDK expects (client-side 400)', async () => {
    op.createItem('Prod', {title: 'stripe', category: 'API_CREDENTIAL', fields: {credential: 'other'}})
    await expect(client().getItemByTitle(prod.id, 'stripe')).rejects.toMatchObject({status: 400})
    expect(await client().listItemsByTitle(prod.id, 'stripe')).toHaveLength(2)
  })

  it('creates an item built with ItemBuilder, generating a password from its recipe', async () => {
    const sdk = client()
    const built = new ItemBuilder()
      .setCategory('LOGIN')
      .setTitle('web login')
      .addTag('web')
      .addUrl({href: 'https://example.test', primary: true})
      .addField({label: 'username', value: 'admin', purpose: FieldPurpose.Username})
      .addField({
        label: 'password',
        type: FieldType.Concealed,
        purpose: FieldPurpose.Password,
        generate: true,
        recipe: {length: 40, characterSets: [GeneratorRecipe.CharacterSetsEnum.Letters, GeneratorRecipe.CharacterSetsEnum.Digits]},
      })
      .addField({label: 'region', value: 'eu', sectionName: 'Details'})
      .build()
    const created = await sdk.createItem(prod.id, built)
    expect(created.id).toMatch(/^[a-z0-9]{26}$/)
    expect(created.version).toBe(1)
    expect(created.vault?.id).toBe(prod.id)
    expect(created.urls).toEqual([{primary: true, href: 'https://example.test'}])
    const password = created.fields?.find((f) => f.label === 'password')
    expect(password?.value).toMatch(/^[A-Za-z0-9]{40}$/)
    expect(password?.entropy).toBeGreaterThan(200)
    const region = created.fields?.find((f) => f.label === 'region')
    expect(created.sections?.find((s) => s.id === region?.section?.id)?.label).toBe('Details')
    expect(op.readItem('Prod', 'web login')?.fields.find((f) => f.label === 'password')?.value).toBe(password?.value)
  })

  it('updates an item: the change is stored and the version goes up', async () => {
    const sdk = client()
    const item = await sdk.getItemByTitle(prod.id, 'stripe')
    const field = item.fields!.find((f) => f.label === 'credential')!
    field.value = 'sk_live_rotated'
    item.title = 'stripe (live)'
    const updated = await sdk.updateItem(prod.id, item)
    expect(updated.version).toBe(2)
    expect(updated.title).toBe('stripe (live)')
    expect(updated.fields?.find((f) => f.id === field.id)?.value).toBe('sk_live_rotated')
    expect(op.readItem('Prod', item.id!)?.version).toBe(2)

    op.editItem('Prod', item.id!, {values: {credential: 'edited in the app'}})
    expect((await sdk.getItem(prod.id, item.id!)).version).toBe(3)
  })

  it('deletes items by id and by title', async () => {
    const sdk = client()
    const item = await sdk.getItemByTitle(prod.id, 'stripe')
    await sdk.deleteItem(prod.id, item.id!)
    await expect(sdk.getItemById(prod.id, item.id!)).rejects.toEqual({status: 404, message: `item ${item.id} not found`})
    await sdk.deleteItemByTitle(staging.id, 'stripe')
    expect(await sdk.listItems(staging.id)).toEqual([])
  })

  it('lists files and reads their content', async () => {
    const withFile = op.createItem('Prod', {
      title: 'tls',
      category: 'DOCUMENT',
      files: [{name: 'key.pem', content: '-----BEGIN KEY-----\nabc\n'}],
    })
    const sdk = client()
    const files = await sdk.listFiles(prod.id, 'tls')
    expect(files).toHaveLength(1)
    expect(files[0]).toMatchObject({name: 'key.pem', size: 24})
    expect(files[0]!.content_path).toBe(`/v1/vaults/${prod.id}/items/${withFile.id}/files/${files[0]!.id}/content`)
    expect(await sdk.getFileContent(prod.id, withFile.id, files[0]!.id!)).toBe('-----BEGIN KEY-----\nabc\n')
    expect((await sdk.getFileById('Prod', 'tls', files[0]!.id!)).name).toBe('key.pem')
  })

  it('surfaces 401 for a bad, unknown or revoked token', async () => {
    await expect(client('not-a-jwt').listVaults()).rejects.toEqual({status: 401, message: 'Invalid bearer token'})
    const forged = `${op.createToken({vaults: '*'}).token.slice(0, -4)}AAAA`
    await expect(client(forged).listVaults()).rejects.toEqual({status: 401, message: 'Invalid token signature'})
    const {token, id} = op.createToken({vaults: {Prod: 'read'}})
    expect((await client(token).listVaults()).map((v) => v.name)).toEqual(['Prod'])
    op.revokeToken(id)
    await expect(client(token).listVaults()).rejects.toEqual({status: 401, message: 'Invalid bearer token'})
  })

  it('surfaces 403 for a vault the token was not given, and for a write with a read-only token', async () => {
    const {token} = op.createToken({vaults: {[prod.id]: 'read'}})
    const sdk = client(token)
    expect((await sdk.listVaults()).map((v) => v.id)).toEqual([prod.id])
    await expect(sdk.getVault(staging.id)).rejects.toEqual({
      status: 403,
      message: `Authorization: token does not have access to vault ${staging.id}`,
    })
    await expect(sdk.listItems(staging.id)).rejects.toEqual({
      status: 403,
      message: `Authorization: token does not have access to vault ${staging.id}`,
    })
    await expect(sdk.getVaultByTitle('Staging')).rejects.toEqual({status: 404, message: 'No Vaults found with title'})
    const item = new ItemBuilder().setCategory('PASSWORD').setTitle('x').addField({label: 'password', value: 'v'}).build()
    await expect(sdk.createItem(prod.id, item)).rejects.toEqual({
      status: 403,
      message: `Authorization: token does not have permission to perform create on vault ${prod.id}`,
    })
    const existing = await sdk.getItemByTitle(prod.id, 'stripe')
    await expect(sdk.updateItem(prod.id, existing)).rejects.toMatchObject({status: 403})
    await expect(sdk.deleteItem(prod.id, existing.id!)).rejects.toEqual({
      status: 403,
      message: `Authorization: token does not have permission to perform delete on vault ${prod.id}`,
    })
    expect(op.readItem('Prod', 'stripe')?.version).toBe(1)
  })

  it('surfaces 404 for a vault the token may access that is gone, and for a missing item', async () => {
    const {token} = op.createToken({vaults: {[staging.id]: 'write'}})
    op.deleteVault(staging.id)
    await expect(client(token).getVault(staging.id)).rejects.toEqual({status: 404, message: `vault ${staging.id} not found`})
    const missing = 'abcdefghijklmnopqrstuvwxyz'
    await expect(client().getItem(prod.id, missing)).rejects.toEqual({status: 404, message: `item ${missing} not found`})
  })

  it('answers 400 for an item body the server refuses', async () => {
    const item = Object.assign(new FullItem(), {title: 'bad', category: 'NOT_A_CATEGORY' as unknown as FullItem.CategoryEnum})
    await expect(client().createItem(prod.id, item)).rejects.toEqual({status: 400, message: 'Invalid item category'})
  })
})
