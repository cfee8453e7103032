/**
 * The Connect API over plain HTTP: JSON shapes, filters, auth and the order of its checks,
 * writes and versions, PATCH on Connect's addressing, files, activity, health.
 */
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {type ConnectItem, type ConnectVault, type OnePasswordServer, startOnePasswordServer} from '../../support/onepassword/index.js'
import {api, filter} from './helpers.js'

const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
const ID = expect.stringMatching(/^[a-z0-9]{26}$/)

describe('1Password Connect test server: the REST API', () => {
  let op: OnePasswordServer
  let prod: ConnectVault
  let db: ConnectItem
  beforeEach(async () => {
    op = await startOnePasswordServer()
    prod = op.createVault('Prod')
    op.createVault('Prod-EU')
    db = op.createItem('Prod', {
      title: 'db',
      category: 'DATABASE',
      tags: ['pg', 'team-a'],
      sections: [{id: 'extra', label: 'Extra'}],
      fields: [
        {id: 'password', label: 'password', value: 'pw-1', type: 'CONCEALED', purpose: 'PASSWORD'},
        {id: 'port', label: 'port', value: '5432', section: {id: 'extra'}},
      ],
    })
    op.createItem('Prod', {title: 'db replica', category: 'DATABASE', tags: ['pg'], fields: {password: 'pw-2'}})
    op.createItem('Prod', {title: 'say "hi"', fields: {note: 'n'}})
  })
  afterEach(async () => {
    await op.close()
  })

  it('answers health, heartbeat and metrics without a token, and names its version on every reply', async () => {
    const heartbeat = await api(op, 'GET', '/heartbeat', {token: null})
    expect([heartbeat.status, heartbeat.text, heartbeat.headers.get('content-type')]).toEqual([200, '.', 'text/plain; charset=utf-8'])
    const health = await api(op, 'GET', '/health', {token: null})
    expect(health.json).toEqual({
      name: '1Password Connect API',
      version: '1.8.1',
      dependencies: [
        {service: 'sync', status: 'ACTIVE'},
        {service: 'sqlite', status: 'ACTIVE', message: 'Connected to./1password.sqlite'},
      ],
    })
    expect(health.headers.get('1password-connect-version')).toBe('1.8.1')
    expect((await api(op, 'GET', '/metrics', {token: null})).text).toContain('# TYPE')
    expect((await api(op, 'GET', '/v1/vaults', {token: null})).headers.get('1password-connect-version')).toBe('1.8.1')
  })

  it('returns vaults and items in the spec shapes; a list holds no fields', async () => {
    const vaults = await api(op, 'GET', '/v1/vaults')
    expect(vaults.status).toBe(200)
    expect(vaults.json[0]).toEqual({
      id: prod.id,
      name: 'Prod',
      attributeVersion: 1,
      contentVersion: 4,
      items: 3,
      type: 'USER_CREATED',
      createdAt: ISO,
      updatedAt: ISO,
    })
    const items = await api(op, 'GET', `/v1/vaults/${prod.id}/items`)
    expect(items.json.find((i: any) => i.title === 'db')).toEqual({
      id: db.id,
      title: 'db',
      tags: ['pg', 'team-a'],
      version: 1,
      vault: {id: prod.id},
      category: 'DATABASE',
      lastEditedBy: expect.any(String),
      createdAt: ISO,
      updatedAt: ISO,
    })
    expect(items.text).not.toContain('pw-1')
    const full = await api(op, 'GET', `/v1/vaults/${prod.id}/items/${db.id}`)
    expect(full.json).toEqual({
      id: db.id,
      title: 'db',
      tags: ['pg', 'team-a'],
      version: 1,
      vault: {id: prod.id},
      category: 'DATABASE',
      lastEditedBy: expect.any(String),
      createdAt: ISO,
      updatedAt: ISO,
      sections: [{id: 'extra', label: 'Extra'}],
      fields: [
        {id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: 'pw-1'},
        {id: 'port', type: 'STRING', label: 'port', value: '5432', section: {id: 'extra', label: 'Extra'}},
      ],
    })
    // Trailing slashes, as the JavaScript SDK sends them.
    expect((await api(op, 'GET', '/v1/vaults/')).status).toBe(200)
    expect((await api(op, 'GET', `/v1/vaults/${prod.id}/items/`)).json).toHaveLength(3)
  })

  it('filters vaults by name (or title) and items by title or tag', async () => {
    const names = async (path: string) => ((await api(op, 'GET', path)).json as any[]).map((x) => x.name ?? x.title).sort()
    expect(await names(`/v1/vaults${filter('name eq "Prod"')}`)).toEqual(['Prod'])
    expect(await names(`/v1/vaults${filter('title eq "Prod-EU"')}`)).toEqual(['Prod-EU'])
    expect(await names(`/v1/vaults${filter('name eq "prod"')}`)).toEqual([])
    expect(await names(`/v1/vaults${filter('NAME EQ "Prod"')}`)).toEqual(['Prod'])
    const items = `/v1/vaults/${prod.id}/items`
    expect(await names(`${items}${filter('title eq "db"')}`)).toEqual(['db'])
    expect(await names(`${items}${filter('title co "db"')}`)).toEqual(['db', 'db replica'])
    expect(await names(`${items}${filter('tag eq "team-a"')}`)).toEqual(['db'])
    expect(await names(`${items}${filter('tag eq "pg"')}`)).toEqual(['db', 'db replica'])
    expect(await names(`${items}${filter('title eq "say \\"hi\\""')}`)).toEqual(['say "hi"'])
    expect(await names(`${items}${filter('title eq "say "hi""')}`)).toEqual(['say "hi"'])
    expect(await names(`${items}${filter('title eq ""')}`)).toEqual([])
  })

  it('answers 400 for a filter it cannot evaluate', async () => {
    for (const bad of ['title eq db', 'title ne "db"', 'title eq "a" and tag eq "b', 'category eq "DATABASE"', 'nonsense']) {
      const res = await api(op, 'GET', `/v1/vaults/${prod.id}/items${filter(bad)}`)
      expect(res.status).toBe(400)
      expect(res.json).toEqual({status: 400, message: expect.stringContaining('Invalid filter')})
    }
    expect((await api(op, 'GET', `/v1/vaults${filter('tag eq "x"')}`)).status).toBe(400)
  })

  it('checks the token, then vault access, then write permission, then the vault and the item', async () => {
    const path = `/v1/vaults/${prod.id}/items/${db.id}`
    expect((await api(op, 'GET', path, {token: null})).json).toEqual({status: 401, message: 'Invalid bearer token'})
    expect((await api(op, 'GET', path, {headers: {Authorization: `Basic ${op.token}`}, token: null})).status).toBe(401)
    const readOnly = op.createToken({vaults: {Prod: 'read'}}).token
    const ghost = 'zzzzzzzzzzzzzzzzzzzzzzzzzz'
    expect((await api(op, 'GET', `/v1/vaults/${ghost}`, {token: readOnly})).json).toEqual({
      status: 403,
      message: `Authorization: token does not have access to vault ${ghost}`,
    })
    expect((await api(op, 'GET', `/v1/vaults/${ghost}`)).json).toEqual({status: 404, message: `vault ${ghost} not found`})
    expect((await api(op, 'PATCH', path, {token: readOnly, body: []})).json).toEqual({
      status: 403,
      message: `Authorization: token does not have permission to perform update on vault ${prod.id}`,
    })
    expect((await api(op, 'GET', `/v1/vaults/${prod.id}/items/${ghost}`, {token: readOnly})).json).toEqual({
      status: 404,
      message: `item ${ghost} not found`,
    })
    expect((await api(op, 'GET', path, {token: readOnly})).status).toBe(200)
    expect((await api(op, 'POST', `/v1/vaults/${prod.id}`)).json).toEqual({status: 405, message: 'Method Not Allowed'})
    expect((await api(op, 'GET', '/v1/secrets')).json).toEqual({status: 404, message: 'Not Found'})
  })

  it('creates items: ids for fields and sections, lower-case types accepted, a vault mismatch or bad body refused', async () => {
    const create = (body: unknown) => api(op, 'POST', `/v1/vaults/${prod.id}/items`, {body})
    const ok = await create({
      vault: {id: prod.id},
      title: 'new',
      category: 'login',
      sections: [{label: 'S'}],
      fields: [
        {label: 'user', value: 'u', type: 'string', purpose: 'USERNAME'},
        {label: 'pin', type: 'CONCEALED', generate: true, recipe: {length: 6, characterSets: ['DIGITS']}},
      ],
    })
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({id: ID, version: 1, category: 'LOGIN', sections: [{id: ID, label: 'S'}]})
    expect(ok.json.fields[0]).toEqual({id: ID, type: 'STRING', purpose: 'USERNAME', label: 'user', value: 'u'})
    expect(ok.json.fields[1].value).toMatch(/^[0-9]{6}$/)
    const vault = (await api(op, 'GET', `/v1/vaults/${prod.id}`)).json
    expect([vault.items, vault.contentVersion]).toEqual([4, 5])

    expect((await create({title: 'x'})).json).toEqual({status: 400, message: 'Invalid item category'})
    expect((await create('{not json')).json).toEqual({status: 400, message: expect.stringContaining('JSON')})
    expect((await create({category: 'LOGIN', vault: {id: 'zzzzzzzzzzzzzzzzzzzzzzzzzz'}})).status).toBe(400)
    expect((await create({category: 'LOGIN', fields: [{label: 'a', type: 'WEIRD'}]})).status).toBe(400)
    expect((await create({category: 'LOGIN', fields: [{label: 'a', section: {id: 'nope'}}]})).json).toEqual({
      status: 400,
      message: 'Invalid field section: the item has no section nope',
    })
    expect((await create({category: 'LOGIN', fields: [{id: 'a'}, {id: 'a'}]})).status).toBe(400)
    expect((await create({category: 'LOGIN', fields: [{generate: true, recipe: {length: 100}}]})).status).toBe(400)
  })

  it('replaces an item with PUT: a new version, the same id; deletes with 204', async () => {
    const path = `/v1/vaults/${prod.id}/items/${db.id}`
    const put = await api(op, 'PUT', path, {
      body: {id: db.id, title: 'db2', category: 'DATABASE', fields: [{id: 'password', value: 'pw-9'}]},
    })
    expect(put.json).toMatchObject({id: db.id, title: 'db2', version: 2, fields: [{id: 'password', type: 'STRING', value: 'pw-9'}]})
    expect(put.json.updatedAt >= put.json.createdAt).toBe(true)
    expect((await api(op, 'PUT', path, {body: {id: 'other', category: 'DATABASE'}})).status).toBe(400)
    expect(op.readItem('Prod', db.id)?.version).toBe(2)
    const del = await api(op, 'DELETE', path)
    expect([del.status, del.text]).toEqual([204, ''])
    expect((await api(op, 'GET', path)).status).toBe(404)
    expect((await api(op, 'DELETE', path)).json).toEqual({status: 404, message: `item ${db.id} not found`})
  })

  it('patches items on Connect addressing (fields by id), every non-empty patch a new version', async () => {
    const path = `/v1/vaults/${prod.id}/items/${db.id}`
    const patch = (ops: unknown) => api(op, 'PATCH', path, {body: ops})
    let res = await patch([
      {op: 'replace', path: '/favorite', value: true},
      {op: 'remove', path: '/tags/1'},
      {op: 'add', path: '/fields', value: {label: 'New Field', type: 'string', value: 'hunter2'}},
      {op: 'replace', path: '/fields/port/value', value: '6432'},
      {op: 'add', path: '/fields/password/label', value: 'db password'},
    ])
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({version: 2, favorite: true, tags: ['pg']})
    expect(res.json.fields.map((f: any) => [f.label, f.value])).toEqual([
      ['db password', 'pw-1'],
      ['port', '6432'],
      ['New Field', 'hunter2'],
    ])
    res = await patch([
      {op: 'remove', path: '/fields/password/value'},
      {op: 'replace', path: '/fields/port', value: {label: 'port', type: 'STRING', value: '7000'}},
    ])
    expect(res.json.version).toBe(3)
    expect(res.json.fields[0]).toEqual({id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'db password'})
    expect(res.json.fields[1]).toEqual({id: 'port', type: 'STRING', label: 'port', value: '7000'})
    res = await patch([{op: 'replace', path: '/', value: {title: 'renamed', tags: ['x']}}])
    expect(res.json).toMatchObject({version: 4, title: 'renamed', tags: ['x'], category: 'DATABASE'})
    res = await patch([{op: 'remove', path: '/fields/password'}])
    expect(res.json.fields.map((f: any) => f.id)).not.toContain('password')

    expect((await patch([])).json.version).toBe(5)
    for (const bad of [
      [{op: 'move', path: '/title', from: '/title'}],
      [{op: 'replace', path: '/version', value: 9}],
      [{op: 'replace', path: '/fields/absent/value', value: 'x'}],
      [{op: 'replace', path: 'title', value: 'x'}],
      {op: 'replace', path: '/title', value: 'x'},
    ]) {
      const r = await patch(bad)
      expect([r.status, r.json.status]).toEqual([400, 400])
    }
    expect(op.readItem('Prod', db.id)?.version).toBe(5)
  })

  it('serves files: details, inline content on request (413 past the limit), content download', async () => {
    await op.close()
    op = await startOnePasswordServer({maxInlineFileSizeKb: 1})
    const vault = op.createVault('Files')
    const item = op.createItem('Files', {
      title: 'certs',
      sections: [{id: 's1', label: 'TLS'}],
      files: [
        {name: 'ca.pem', content: 'CA-CONTENT', section: 's1'},
        {name: 'big.bin', content: Buffer.alloc(2048, 1)},
      ],
    })
    const base = `/v1/vaults/${vault.id}/items/${item.id}/files`
    const list = await api(op, 'GET', base)
    expect(list.json[0]).toEqual({
      id: ID,
      name: 'ca.pem',
      size: 10,
      content_path: `${base}/${list.json[0].id}/content`,
      section: {id: 's1'},
    })
    expect(list.text).not.toContain(Buffer.from('CA-CONTENT').toString('base64'))
    expect((await api(op, 'GET', `${base}?inline_files=true`)).status).toBe(413)
    const one = await api(op, 'GET', `${base}/${list.json[0].id}?inline_files=true`)
    expect(Buffer.from(one.json.content, 'base64').toString()).toBe('CA-CONTENT')
    const content = await api(op, 'GET', `${base}/${list.json[0].id}/content`)
    expect([content.text, content.headers.get('content-type'), content.headers.get('content-disposition')]).toEqual([
      'CA-CONTENT',
      'application/octet-stream',
      'attachment; filename="ca.pem"',
    ])
    expect((await api(op, 'GET', `${base}/nope`)).json).toEqual({status: 404, message: 'file nope not found'})
    expect((await api(op, 'GET', `/v1/vaults/${vault.id}/items/${item.id}`)).json.files).toHaveLength(2)
  })

  it('lists API activity with the token id, never the token', async () => {
    const {token, id} = op.createToken({vaults: {Prod: 'read'}})
    await api(op, 'GET', `/v1/vaults/${prod.id}/items/${db.id}`, {token})
    await api(op, 'DELETE', `/v1/vaults/${prod.id}/items/${db.id}`, {token})
    await api(op, 'GET', `/v1/vaults/${prod.id}`, {token: 'garbage'})
    const res = await api(op, 'GET', '/v1/activity', {token})
    expect(res.headers.get('content-range')).toBe('1-2/2')
    expect(res.json).toEqual([
      {
        requestId: expect.any(String),
        timestamp: ISO,
        action: 'READ',
        result: 'SUCCESS',
        actor: {id: expect.any(String), account: expect.any(String), jti: id, userAgent: expect.any(String), requestIp: expect.any(String)},
        resource: {type: 'ITEM', vault: {id: prod.id}, item: {id: db.id}, itemVersion: 1},
      },
      expect.objectContaining({action: 'DELETE', result: 'DENY'}),
    ])
    expect(res.text).not.toContain(token)
    const page = await api(op, 'GET', '/v1/activity?limit=1&offset=1', {token})
    expect([page.json.length, page.headers.get('content-range')]).toEqual([1, '2-2/2'])
    expect((await api(op, 'GET', '/v1/activity?limit=x')).status).toBe(400)
    expect((await api(op, 'GET', '/v1/activity', {token: null})).status).toBe(401)
  })

  it('bumps versions on test edits too, and keeps titles unique to nobody (duplicates allowed)', async () => {
    const edited = op.editItem('Prod', 'db', {values: {password: 'pw-new', extra: 'added'}, removeFields: ['port']})
    expect(edited.version).toBe(2)
    expect(edited.fields.map((f) => [f.label, f.value, f.type])).toEqual([
      ['password', 'pw-new', 'CONCEALED'],
      ['extra', 'added', 'CONCEALED'],
    ])
    expect(op.editItem('Prod', db.id, {}).version).toBe(3)
    op.createItem('Prod', {title: 'db'})
    expect((await api(op, 'GET', `/v1/vaults/${prod.id}/items${filter('title eq "db"')}`)).json).toHaveLength(2)
  })
})
