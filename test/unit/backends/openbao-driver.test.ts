/**
 * The OpenBao driver against the OpenBao test server: KV v2 round trips, check-and-set, 403 as an
 * error (never "missing"), health, retries for reads and CAS writes only, the in-flight bound, the
 * namespace header, and no token in any error.
 */
import {describe, it, expect, beforeAll, afterAll, beforeEach} from 'vitest'
import {startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {createOpenBaoDriver} from '../../../src/backends/openbao/openbao-driver.js'
import type {BackendDriver} from '../../../src/backends/driver.js'
import {BackendError} from '../../../src/errors.js'
import {createServer} from 'node:net'

let server: OpenBaoTestServer
beforeAll(async () => {
  server = await startOpenBaoTestServer()
})
afterAll(async () => server?.close())
beforeEach(() => server.faults.clear())

/** A port nothing listens on: bound, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as {port: number}
      srv.close(() => resolve(port))
    })
  })
}

let n = 0
function driver(token: string, opts: {concurrency?: number; namespace?: string; url?: string} = {}): BackendDriver {
  return createOpenBaoDriver({
    backend: {id: 1, name: 'bao', type: 'openbao', description: null, isDefault: false, config: {url: opts.url ?? server.url, tokenSecretRef: {name: 't', key: 'token'}, mount: 'secret', pathPrefix: `unit${++n}`, ...(opts.namespace ? {namespace: opts.namespace} : {})}, rotation: null, tokenMeta: null, createdAt: '', updatedAt: ''},
    state: {} as never,
    readTrustRoot: async () => token,
    concurrency: opts.concurrency ?? 16,
  })
}

describe('openbao driver', () => {
  it('writes, reads, versions, lists and deletes every version', async () => {
    const d = driver(server.rootToken)
    expect(await d.metadata('a')).toEqual({exists: false, version: null})
    expect(await d.read('a')).toBeUndefined()
    const w1 = await d.write('a', {K: 'v1'}, {cas: 0})
    expect(w1.version).toBe(1)
    expect(w1.externalRef).toMatch(/^secret\/unit\d+\/a$/)
    const w2 = await d.write('a', {K: 'v2'}, {cas: 1})
    expect(w2.version).toBe(2)
    expect(await d.read('a')).toEqual({K: 'v2'})
    expect(await d.metadata('a')).toEqual({exists: true, version: 2})
    await d.write('b', {K: 'x'})
    expect(await d.list()).toEqual(['a', 'b'])
    await d.delete('a')
    expect(await d.metadata('a')).toEqual({exists: false, version: null})
    await d.delete('a') // missing is fine
  })

  it('a check-and-set mismatch is a clear error, not an overwrite', async () => {
    const d = driver(server.rootToken)
    await d.write('c', {K: 'one'}, {cas: 0})
    await d.write('c', {K: 'outside'}, {cas: 1})
    const err = await d.write('c', {K: 'mine'}, {cas: 1}).catch((e) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect(err.message).toMatch(/changed on the server since secretctl last wrote it \(check-and-set expected version 1\)/)
    expect(await d.read('c')).toEqual({K: 'outside'})
  })

  it('a soft-deleted latest version reads as missing', async () => {
    const d = driver(server.rootToken)
    const w = await d.write('s', {K: 'v'})
    await fetch(`${server.url}/v1/${w.externalRef!.replace(/^secret\//, 'secret/data/')}`, {method: 'DELETE', headers: {'X-Vault-Token': server.rootToken}})
    expect(await d.read('s')).toBeUndefined()
  })

  it('403 is a forbidden error naming the operation and path, never missing', async () => {
    server.putPolicy('nothing', 'path "sys/nothing" { capabilities = ["read"] }')
    const {token} = server.createToken({policies: ['nothing']})
    const d = driver(token)
    for (const op of [() => d.metadata('x'), () => d.read('x'), () => d.write('x', {K: 'v'}), () => d.list()]) {
      const err = await op().catch((e) => e)
      expect(err).toBeInstanceOf(BackendError)
      expect(err.forbidden).toBe(true)
      expect(err.message).toMatch(/permission denied (reading metadata at|reading|writing|listing) secret\/(metadata|data)\/unit\d+/)
      expect(err.message).not.toContain(token)
    }
  })

  it('health: ok, sealed, unreachable', async () => {
    expect(await driver(server.rootToken).health()).toEqual({ok: true, detail: 'ok'})
    server.seal()
    try {
      expect(await driver(server.rootToken).health()).toMatchObject({ok: false, detail: expect.stringMatching(/is sealed/)})
    } finally {
      server.unseal()
    }
    const port = await closedPort()
    const closed = driver(server.rootToken, {url: `http://127.0.0.1:${port}`})
    expect(await closed.health()).toEqual({ok: false, detail: `cannot reach OpenBao at http://127.0.0.1:${port}: ECONNREFUSED`})
  })

  it('reads are retried through transient 503s', async () => {
    const d = driver(server.rootToken)
    await d.write('r', {K: 'v'})
    server.faults.failNext(2, {method: 'GET', path: 'secret/data/*', status: 503, body: {errors: ['temporarily overloaded']}})
    const start = server.log.length
    expect(await d.read('r')).toEqual({K: 'v'})
    expect(server.log.slice(start).map((e) => e.status)).toEqual([503, 503, 200])
  })

  it('a write without check-and-set is never retried', async () => {
    const d = driver(server.rootToken)
    server.faults.failNext(1, {method: 'POST', path: 'secret/data/*', status: 502})
    const start = server.log.length
    await expect(d.write('w', {K: 'v'})).rejects.toThrow(/answered 502/)
    expect(server.log.slice(start)).toHaveLength(1)
  })

  it('a check-and-set write whose response was lost is retried and reported with the version that landed', async () => {
    const d = driver(server.rootToken)
    server.faults.dropConnection({method: 'POST', path: 'secret/data/*', stage: 'after-headers', applyRequest: true} as never)
    const w = await d.write('dropped', {K: 'v'}, {cas: 0})
    expect(w.version).toBe(1)
    expect(await d.read('dropped')).toEqual({K: 'v'})
    expect((await d.metadata('dropped')).version).toBe(1)
  })

  it('keeps at most `concurrency` requests in flight', async () => {
    const d = driver(server.rootToken, {concurrency: 4})
    await d.write('p', {K: 'v'})
    server.faults.latency(40, {method: 'GET', path: 'secret/data/*'})
    const start = Date.now()
    await Promise.all(Array.from({length: 20}, () => d.read('p')))
    const elapsed = Date.now() - start
    // 20 reads of 40 ms each, 4 at a time: at least 5 rounds (200 ms); unbounded it would be ~40 ms.
    expect(elapsed).toBeGreaterThanOrEqual(190)
  })

  it('reuses keep-alive connections across requests', async () => {
    const d = driver(server.rootToken)
    await d.write('ka', {K: 'v'})
    const start = server.log.length
    for (let i = 0; i < 20; i++) await d.read('ka')
    const connections = new Set(server.log.slice(start).map((e) => (e as {connectionId?: number}).connectionId))
    // 20 requests over one or two pooled connections, not 20 new ones.
    expect(connections.size).toBeLessThanOrEqual(2)
  })

  it('sends the namespace header when configured', async () => {
    await fetch(`${server.url}/v1/sys/namespaces/team`, {method: 'POST', headers: {'X-Vault-Token': server.rootToken}})
    await fetch(`${server.url}/v1/sys/mounts/secret`, {method: 'POST', headers: {'X-Vault-Token': server.rootToken, 'X-Vault-Namespace': 'team'}, body: JSON.stringify({type: 'kv', options: {version: '2'}})})
    const d = driver(server.rootToken, {namespace: 'team'})
    const start = server.log.length
    await d.write('ns', {K: 'v'})
    expect(server.log.slice(start).map((e) => e.namespace)).toContain('team/')
    expect(await d.read('ns')).toEqual({K: 'v'})
  })
})
