import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {api, rawExchange} from './helpers.js'

describe('OpenBao test server: fault injection and the request log', () => {
  let bao: OpenBaoTestServer
  beforeEach(async () => {
    bao = await startOpenBaoTestServer()
    await api(bao, 'POST', 'secret/data/app/db', {body: {data: {password: 'p'}}})
    bao.clearLog()
  })
  afterEach(async () => {
    await bao.close()
  })

  it('fails the Nth matching request with a chosen status and body', async () => {
    const rule = bao.faults.failNth(2, {method: 'GET', path: 'secret/data/*', status: 500})
    expect((await api(bao, 'GET', 'secret/data/app/db')).status).toBe(200)
    const second = await api(bao, 'GET', 'secret/data/app/db')
    expect(second.status).toBe(500)
    expect(second.json).toEqual({errors: ['internal error']})
    expect(second.headers.get('cache-control')).toBe('no-store')
    expect((await api(bao, 'GET', 'secret/data/app/db')).status).toBe(200)
    expect((await api(bao, 'GET', 'sys/mounts')).status).toBe(200)
    expect(rule.fired).toBe(1)
    expect(bao.log.map((e) => e.fault ?? '-')).toEqual(['-', 'fail', '-', '-'])

    bao.faults.failNext(2, {path: '/v1/secret/data/app/db', status: 429, body: {errors: ['rate limited']}})
    expect((await api(bao, 'GET', 'secret/data/app/db')).json).toEqual({errors: ['rate limited']})
    expect((await api(bao, 'POST', 'secret/data/app/db', {body: {data: {a: '1'}}})).status).toBe(429)
    expect((await api(bao, 'GET', 'secret/data/app/db')).status).toBe(200)
  })

  it('fails a fraction of requests, the same way for the same seed', async () => {
    const run = async () => {
      const server = await startOpenBaoTestServer()
      try {
        server.faults.failFraction(0.5, {path: 'sys/mounts', status: 503, seed: 42})
        const statuses: number[] = []
        for (let i = 0; i < 20; i++) statuses.push((await api(server, 'GET', 'sys/mounts')).status)
        return statuses
      } finally {
        await server.close()
      }
    }
    const a = await run()
    const b = await run()
    expect(a).toEqual(b)
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(3)
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(3)
  })

  it('drops the connection mid-response; the write still happened unless told otherwise', async () => {
    bao.faults.dropConnection({method: 'POST', path: 'secret/data/app/*', stage: 'partial-body'})
    await expect(api(bao, 'POST', 'secret/data/app/db', {body: {data: {password: 'new'}}})).rejects.toThrow()
    expect(bao.readKv('secret', 'app/db')).toMatchObject({version: 2, data: {password: 'new'}})
    expect(bao.log.at(-1)).toMatchObject({fault: 'drop', status: 200})

    bao.faults.dropConnection({path: 'secret/data/app/*', stage: 'after-headers', applyRequest: false})
    await expect(api(bao, 'POST', 'secret/data/app/db', {body: {data: {password: 'lost'}}})).rejects.toThrow()
    expect(bao.readKv('secret', 'app/db')?.version).toBe(2)
    expect(bao.log.at(-1)).toMatchObject({fault: 'drop', status: 0})

    bao.faults.dropConnection({path: 'secret/data/app/db', stage: 'after-headers'})
    const out = await rawExchange(bao.port, `GET /v1/secret/data/app/db HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${bao.rootToken}\r\n\r\n`)
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Length: \d+\r\n\r\n$/)
    expect((await api(bao, 'GET', 'secret/data/app/db')).status).toBe(200)
  })

  it('adds latency to matching requests only', async () => {
    bao.faults.latency(150, {path: 'secret/*'})
    const started = performance.now()
    await api(bao, 'GET', 'secret/data/app/db')
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    await api(bao, 'GET', 'sys/health', {token: null})
    expect(bao.log.map((e) => e.delayMs)).toEqual([150, 0])
  })

  it('holds matching requests unanswered until released or dropped; the log orders arrivals and completions', async () => {
    const gate = bao.faults.hold({method: 'GET', path: 'secret/data/*'})
    const first = api(bao, 'GET', 'secret/data/app/db')
    const second = api(bao, 'GET', 'secret/data/app/db')
    await gate.whenParked(2)
    expect((await api(bao, 'GET', 'sys/mounts')).status).toBe(200) // others go through meanwhile
    expect([gate.parked, gate.fired, bao.log.length]).toEqual([2, 2, 1])
    gate.release()
    expect([(await first).status, (await second).status]).toEqual([200, 200])
    expect((await api(bao, 'GET', 'secret/data/app/db')).status).toBe(200) // released: no longer held
    const [mounts, a, b] = bao.log
    // Both reads arrived before the mounts request and finished after it: they overlapped it.
    for (const read of [a!, b!]) {
      expect(read.arrivalTick).toBeLessThan(mounts!.arrivalTick)
      expect(read.doneTick).toBeGreaterThan(mounts!.doneTick)
    }

    const once = bao.faults.hold({nth: 2, times: 1})
    expect((await api(bao, 'GET', 'sys/mounts')).status).toBe(200)
    const parked = api(bao, 'GET', 'sys/mounts')
    await once.whenParked(1)
    once.remove() // removing a hold lets its requests go on too
    expect((await parked).status).toBe(200)
    const dropped = bao.faults.hold({method: 'POST', times: 1})
    const lost = api(bao, 'POST', 'secret/data/app/db', {body: {data: {password: 'lost'}}})
    await dropped.whenParked(1)
    dropped.drop() // or ends them unhandled
    await expect(lost).rejects.toThrow()
    expect(bao.readKv('secret', 'app/db')).toMatchObject({version: 1, data: {password: 'p'}})
    expect(bao.log.at(-1)).toMatchObject({method: 'POST', fault: 'drop', status: 0})
    const held = bao.faults.hold({times: 1})
    const cut = api(bao, 'GET', 'sys/mounts')
    await held.whenParked(1)
    await bao.close() // and closing the server drops them
    await expect(cut).rejects.toThrow()
  })

  it('seals the server after N matching requests', async () => {
    bao.faults.sealAfter(2, {path: 'secret/data/*'})
    expect((await api(bao, 'GET', 'secret/data/app/db')).status).toBe(200)
    expect((await api(bao, 'GET', 'sys/mounts')).status).toBe(200)
    expect((await api(bao, 'GET', 'secret/data/app/db')).status).toBe(200)
    const sealed = await api(bao, 'GET', 'secret/data/app/db')
    expect(sealed.status).toBe(503)
    expect(sealed.json).toEqual({errors: ['Vault is sealed']})
    expect(bao.isSealed()).toBe(true)
    expect(bao.log[2]!.sealedAfter).toBe(true)
  })

  it('logs method, path, query, namespace, accessor (never the token), status, and secret-data reads', async () => {
    const {token, accessor} = bao.createToken({policies: ['default']})
    bao.createNamespace('ns1')
    await api(bao, 'GET', 'secret/metadata/app/db')
    await api(bao, 'GET', 'secret/data/app/db?version=1')
    await api(bao, 'LIST', 'secret/metadata/app')
    await api(bao, 'GET', 'secret/data/app/db', {token})
    await api(bao, 'GET', 'sys/mounts', {namespace: 'ns1'})
    await api(bao, 'GET', 'secret/data/app/db', {token: 's.unknown'})
    const log = bao.log
    expect(log.map((e) => [e.method, e.path, e.status, e.operation])).toEqual([
      ['GET', '/v1/secret/metadata/app/db', 200, 'read'],
      ['GET', '/v1/secret/data/app/db', 200, 'read'],
      ['LIST', '/v1/secret/metadata/app', 200, 'list'],
      ['GET', '/v1/secret/data/app/db', 403, 'read'],
      ['GET', '/v1/sys/mounts', 200, 'read'],
      ['GET', '/v1/secret/data/app/db', 403, 'read'],
    ])
    expect(log[1]!.query).toEqual({version: '1'})
    expect(log[2]!.logicalPath).toBe('secret/metadata/app/')
    expect(log[3]!.tokenAccessor).toBe(accessor)
    expect(log[4]!.namespace).toBe('ns1/')
    expect(log[5]!).toMatchObject({tokenAccessor: null, tokenPresented: true})
    expect(log.map((e) => e.readSecretData)).toEqual([false, true, false, true, false, true])
    expect(log.map((e) => e.returnedSecretData)).toEqual([false, true, false, false, false, false])
    expect(bao.secretReads()).toHaveLength(3)
    expect(JSON.stringify(log)).not.toContain(token)
    expect(JSON.stringify(log)).not.toContain(bao.rootToken)
    expect(log.every((e) => typeof e.timestamp === 'number' && e.requestId.length === 36)).toBe(true)
  })

  it('exposes the same controls over HTTP under /__test/ for standalone use', async () => {
    const post = (path: string, body: unknown) => fetch(`${bao.url}/__test/${path}`, {method: 'POST', body: JSON.stringify(body)})
    const added = await (await post('faults', {type: 'fail', nth: 1, path: 'secret/data/*', status: 502})).json()
    expect(added.ids).toHaveLength(1)
    expect((await api(bao, 'GET', 'secret/data/app/db')).status).toBe(502)
    const log = await (await fetch(`${bao.url}/__test/log`)).json()
    expect(log.entries).toHaveLength(1)
    const before = Date.now()
    const clock = await (await post('clock', {advanceMs: 60_000})).json()
    expect(clock.now).toBeGreaterThanOrEqual(before + 60_000)
    expect((await post('seal', {})).status).toBe(204)
    expect((await api(bao, 'GET', 'sys/mounts')).status).toBe(503)
    await post('unseal', {})
    const kv = await (await fetch(`${bao.url}/__test/kv?mount=secret&path=app/db`)).json()
    expect(kv.data).toEqual({password: 'p'})
    const tok = await (await post('tokens', {policies: ['default'], ttl: '1m'})).json()
    expect(tok.token).toMatch(/^s\./)
    expect((await fetch(`${bao.url}/__test/faults`, {method: 'DELETE'})).status).toBe(204)
  })
})
