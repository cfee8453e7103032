/**
 * Fault injection and the request log: failures in Connect's error shape (and as the SDK sees
 * them), 429 with Retry-After, seeded fractions, latency, dropped connections at each stage, the
 * log's fields, and a canary search: no token, field value or file content is ever in the log,
 * the activity API or the test-control log.
 */
import net from 'node:net'
import {OnePasswordConnect} from '@1password/connect'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {type ConnectItem, type ConnectVault, type OnePasswordServer, startOnePasswordServer} from '../../support/onepassword/index.js'
import {api, filter} from './helpers.js'

/** Sends raw bytes on a fresh socket and collects everything until the server closes it. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let out = ''
    socket.on('connect', () => socket.write(raw))
    socket.on('data', (d) => {
      out += d.toString('utf8')
    })
    socket.on('close', () => resolve(out))
    socket.on('error', reject)
  })
}

describe('1Password Connect test server: faults and the request log', () => {
  let op: OnePasswordServer
  let vault: ConnectVault
  let item: ConnectItem
  beforeEach(async () => {
    op = await startOnePasswordServer()
    vault = op.createVault('Prod')
    item = op.createItem('Prod', {title: 'db', fields: {password: 'pw'}})
  })
  afterEach(async () => {
    await op.close()
  })

  const itemPath = () => `/v1/vaults/${vault.id}/items/${item.id}`

  it('fails the Nth matching request in Connect error shape, and the SDK surfaces it', async () => {
    const rule = op.faults.failNth(2, {method: 'GET', path: 'vaults/+/items/+', status: 500})
    expect((await api(op, 'GET', itemPath())).status).toBe(200)
    const second = await api(op, 'GET', itemPath())
    expect([second.status, second.json]).toEqual([500, {status: 500, message: 'Internal Server Error'}])
    expect((await api(op, 'GET', itemPath())).status).toBe(200)
    expect((await api(op, 'GET', '/v1/vaults')).status).toBe(200)
    expect(rule.fired).toBe(1)
    expect(op.log.map((e) => e.fault ?? '-')).toEqual(['-', 'fail', '-', '-'])

    op.faults.failNext(1, {path: '/v1/vaults/*', status: 503, body: {status: 503, message: 'sync not ready'}})
    const sdk = OnePasswordConnect({serverURL: op.url, token: op.token})
    await expect(sdk.getItem(vault.id, item.id)).rejects.toEqual({status: 503, message: 'sync not ready'})
    expect((await sdk.getItem(vault.id, item.id)).id).toBe(item.id)
  })

  it('rate-limits with 429 and Retry-After, then lets requests through', async () => {
    op.faults.rateLimit(2, {path: 'vaults', retryAfterSeconds: 3})
    const first = await api(op, 'GET', '/v1/vaults')
    expect([first.status, first.json, first.headers.get('retry-after')]).toEqual([429, {status: 429, message: 'Too Many Requests'}, '3'])
    expect((await api(op, 'GET', '/v1/vaults/')).status).toBe(429)
    expect((await api(op, 'GET', '/v1/vaults')).status).toBe(200)
    expect((await api(op, 'GET', itemPath())).status).toBe(200)
  })

  it('fails a fraction of requests, the same way for the same seed', async () => {
    const run = async () => {
      const server = await startOnePasswordServer()
      try {
        server.faults.failFraction(0.5, {path: 'vaults', status: 500, seed: 42})
        const statuses: number[] = []
        for (let i = 0; i < 20; i++) statuses.push((await api(server, 'GET', '/v1/vaults')).status)
        return statuses
      } finally {
        await server.close()
      }
    }
    const a = await run()
    expect(await run()).toEqual(a)
    expect(a.filter((s) => s === 500).length).toBeGreaterThan(3)
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(3)
  })

  it('adds latency to matching requests only', async () => {
    op.faults.latency(100, {path: 'vaults/*'})
    await api(op, 'GET', itemPath())
    await api(op, 'GET', '/heartbeat', {token: null})
    expect(op.log.map((e) => e.delayMs)).toEqual([100, 0])
  })

  it('drops the connection before the reply, after its headers, or mid-body; the write happens unless told otherwise', async () => {
    op.faults.dropConnection({method: 'PATCH', stage: 'partial-body'})
    await expect(api(op, 'PATCH', itemPath(), {body: [{op: 'replace', path: '/title', value: 'db2'}]})).rejects.toThrow()
    expect(op.readItem('Prod', item.id)).toMatchObject({title: 'db2', version: 2})
    expect(op.log.at(-1)).toMatchObject({fault: 'drop', status: 200, readsValues: true, returnedValues: false})

    op.faults.dropConnection({method: 'PATCH', applyRequest: false})
    await expect(api(op, 'PATCH', itemPath(), {body: [{op: 'replace', path: '/title', value: 'lost'}]})).rejects.toThrow()
    expect(op.readItem('Prod', item.id)).toMatchObject({title: 'db2', version: 2})
    expect(op.log.at(-1)).toMatchObject({fault: 'drop', status: 0})

    op.faults.dropConnection({path: 'vaults/+/items/+', stage: 'after-headers'})
    const out = await rawExchange(op.port, `GET ${itemPath()} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${op.token}\r\n\r\n`)
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Length: \d+\r\n\r\n$/)

    op.faults.dropConnection({path: 'vaults', stage: 'before-headers'})
    expect(await rawExchange(op.port, `GET /v1/vaults HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${op.token}\r\n\r\n`)).toBe('')
    expect((await api(op, 'GET', itemPath())).status).toBe(200)
  })

  it('takes fault rules as JSON over /__test/faults', async () => {
    const added = await fetch(`${op.url}/__test/faults`, {
      method: 'POST',
      body: JSON.stringify({type: 'fail', status: 502, nth: 1, path: 'vaults'}),
    })
    expect(await added.json()).toEqual({ids: [1]})
    expect((await api(op, 'GET', '/v1/vaults')).status).toBe(502)
    const listed = await (await fetch(`${op.url}/__test/faults`)).json()
    expect(listed.faults[0]).toMatchObject({id: 1, type: 'fail', seen: 1, fired: 1})
    await fetch(`${op.url}/__test/faults`, {method: 'DELETE'})
    expect(op.faults.list()).toEqual([])
  })

  it('logs each API request with the token id, the vault, the item and its version, and what read values', async () => {
    const {token, id} = op.createToken({vaults: {Prod: 'read'}, name: 'reader'})
    op.clearLog()
    await api(op, 'GET', `/v1/vaults/${vault.id}/items${filter('title eq "db"')}`, {token, headers: {'User-Agent': 'secretctl-test'}})
    await api(op, 'GET', itemPath(), {token})
    await api(op, 'DELETE', itemPath(), {token})
    await api(op, 'GET', '/v1/vaults', {token: null})
    await api(op, 'GET', '/health', {token: null})
    expect(op.log.map((e) => [e.method, e.route, e.action, e.status, e.readsValues])).toEqual([
      ['GET', 'GET /v1/vaults/{vaultUuid}/items', 'READ', 200, false],
      ['GET', 'GET /v1/vaults/{vaultUuid}/items/{itemUuid}', 'READ', 200, true],
      ['DELETE', 'DELETE /v1/vaults/{vaultUuid}/items/{itemUuid}', 'DELETE', 403, false],
      ['GET', 'GET /v1/vaults', null, 401, false],
      ['GET', 'GET /health', null, 200, false],
    ])
    expect(op.log[0]).toMatchObject({
      seq: expect.any(Number),
      path: `/v1/vaults/${vault.id}/items`,
      query: {filter: 'title eq "db"'},
      tokenId: id,
      tokenPresented: true,
      vaultId: vault.id,
      itemId: null,
      userAgent: 'secretctl-test',
      requestId: expect.any(String),
    })
    expect(op.log[1]).toMatchObject({tokenId: id, itemId: item.id, itemVersion: 1, returnedValues: true})
    expect(op.log[3]).toMatchObject({tokenId: null, tokenPresented: false})
    expect(op.valueReads()).toEqual([op.log[1]])
    expect(op.log.every((e) => e.connectionId > 0)).toBe(true)
  })

  it('never puts a token, a field value or file content in the log, the activity or the test-control log', async () => {
    const fixedToken = 'canary-fixed-token-7f3a9c'
    const canaryValue = 'canary-field-value-91b2e4'
    const canaryFile = 'canary-file-content-55d0aa'
    await op.close()
    op = await startOnePasswordServer({token: fixedToken})
    const v = op.createVault('Canary')
    const seeded = op.createItem('Canary', {
      title: 'planted',
      fields: [{label: 'secret', value: canaryValue, type: 'CONCEALED'}],
      files: [{name: 'f.txt', content: canaryFile}],
    })
    const {token: jwt} = op.createToken({vaults: {Canary: 'write'}})
    const wrongToken = 'canary-wrong-token-0c1d2e'
    const base = `/v1/vaults/${v.id}/items`
    const fileId = seeded.files![0]!.id
    await api(op, 'GET', `${base}/${seeded.id}`)
    await api(op, 'GET', `${base}/${seeded.id}`, {token: jwt})
    await api(op, 'GET', `${base}/${seeded.id}`, {token: wrongToken})
    await api(op, 'GET', `${base}/${seeded.id}/files?inline_files=true`, {token: jwt})
    await api(op, 'GET', `${base}/${seeded.id}/files/${fileId}/content`, {token: jwt})
    await api(op, 'POST', base, {token: jwt, body: {title: 'new', category: 'PASSWORD', fields: [{label: 'p', value: `${canaryValue}-2`}]}})
    await api(op, 'PATCH', `${base}/${seeded.id}`, {body: [{op: 'replace', path: '/fields/0/value', value: `${canaryValue}-3`}]})
    await api(op, 'PUT', `${base}/${seeded.id}`, {
      token: jwt,
      body: {category: 'LOGIN', fields: [{label: 'secret', value: `${canaryValue}-4`}]},
    })
    op.faults.failNext(1, {status: 500})
    await api(op, 'GET', `${base}/${seeded.id}`, {token: jwt})
    op.faults.dropConnection({stage: 'partial-body'})
    await expect(api(op, 'GET', `${base}/${seeded.id}`, {token: jwt})).rejects.toThrow()
    expect(op.valueReads().length).toBeGreaterThan(5)

    const activity = (await api(op, 'GET', '/v1/activity?limit=1000', {token: jwt})).text
    const controlLog = await (await fetch(`${op.url}/__test/log`)).text()
    for (const text of [JSON.stringify(op.log), activity, controlLog]) {
      for (const canary of [fixedToken, jwt, wrongToken, canaryValue, canaryFile, Buffer.from(canaryFile).toString('base64')]) {
        expect(text).not.toContain(canary)
      }
    }
  })
})
