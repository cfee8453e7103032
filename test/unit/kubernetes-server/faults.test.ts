/**
 * Fault injection and the request log of the Kubernetes test server: latency, 429 with
 * Retry-After, 500, failing the Nth request, connection drops before and after the request is
 * applied, rules posted over `/__test/faults`, and log entries that carry the user and never the
 * token or a Secret value.
 */
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {type KubeTestServer, startKubeServer} from '../../support/kubernetes/index.js'
import {api} from './helpers.js'

const CANARY = 'canary-fault-91b2'

describe('Kubernetes test server: faults and the request log', () => {
  let kube: KubeTestServer

  beforeAll(async () => {
    kube = await startKubeServer({namespaces: ['app']})
    kube.putSecret('app', 'db', {stringData: {password: CANARY}})
  })
  afterEach(() => {
    kube.faults.clear()
    kube.clearLog()
  })
  afterAll(async () => {
    await kube?.close()
  })

  it('answers 429 TooManyRequests with Retry-After, then serves normally', async () => {
    const handle = kube.faults.throttle(2, {verb: 'get', resource: 'secrets', retryAfterSeconds: 3})
    for (let i = 0; i < 2; i++) {
      const res = await api(kube, 'GET', '/api/v1/namespaces/app/secrets/db')
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('3')
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Too many requests, please try again later.',
        reason: 'TooManyRequests',
        details: {retryAfterSeconds: 3},
        code: 429,
      })
    }
    expect((await api(kube, 'GET', '/api/v1/namespaces/app/secrets/db')).status).toBe(200)
    expect(handle.fired).toBe(2)
    expect(kube.log.map((e) => [e.status, e.fault, e.reason])).toEqual([
      [429, 'fail', 'TooManyRequests'],
      [429, 'fail', 'TooManyRequests'],
      [200, undefined, undefined],
    ])
  })

  it('fails the Nth matching request with 500 InternalError, by method and path glob', async () => {
    kube.faults.failNth(2, {method: 'POST', path: '/api/v1/namespaces/+/secrets', status: 500})
    const first = await api(kube, 'POST', '/api/v1/namespaces/app/secrets', {body: {metadata: {name: 'f1'}}})
    const second = await api(kube, 'POST', '/api/v1/namespaces/app/secrets', {body: {metadata: {name: 'f2'}}})
    const third = await api(kube, 'POST', '/api/v1/namespaces/app/secrets', {body: {metadata: {name: 'f3'}}})
    expect([first.status, second.status, third.status]).toEqual([201, 500, 201])
    expect(second.body).toMatchObject({reason: 'InternalError', code: 500})
    expect(kube.readSecret('app', 'f2')).toBeUndefined()
  })

  it('adds latency (recorded in the log)', async () => {
    kube.faults.latency(30, {verb: 'list'})
    await api(kube, 'GET', '/api/v1/namespaces/app/secrets')
    expect(kube.log[0]!.delayMs).toBe(30)
    // A 30 ms timer never fires early by a whole millisecond (timers count whole milliseconds),
    // however loaded the machine; later is always possible.
    expect(kube.log[0]!.durationMs).toBeGreaterThanOrEqual(29)
  })

  it('drops the connection: with the write applied, or before it reaches the API', async () => {
    kube.faults.dropConnection({verb: 'update', stage: 'after-headers'})
    const current = (await api(kube, 'GET', '/api/v1/namespaces/app/secrets/db')).body
    const dropped = api(kube, 'PUT', '/api/v1/namespaces/app/secrets/db', {body: {...current, data: {...current.data, extra: 'eA=='}}})
    await expect(dropped).rejects.toThrow()
    expect(kube.readSecret('app', 'db')!.data).toHaveProperty('extra')
    kube.faults.dropConnection({verb: 'create', applyRequest: false})
    await expect(api(kube, 'POST', '/api/v1/namespaces/app/secrets', {body: {metadata: {name: 'never'}}})).rejects.toThrow()
    expect(kube.readSecret('app', 'never')).toBeUndefined()
    kube.faults.dropConnection({verb: 'get', stage: 'partial-body', bytes: 10})
    await expect(api(kube, 'GET', '/api/v1/namespaces/app/secrets/db')).rejects.toThrow()
    expect(kube.log.filter((e) => e.fault === 'drop').map((e) => [e.verb, e.status])).toEqual([
      ['update', 200],
      ['create', 0],
      ['get', 200],
    ])
  })

  it('takes fault rules as JSON over /__test/faults', async () => {
    const posted = await fetch(`${kube.url}/__test/faults`, {
      method: 'POST',
      body: JSON.stringify({type: 'fail', status: 503, nth: 1, verb: 'delete'}),
    })
    expect(((await posted.json()) as {ids: number[]}).ids).toHaveLength(1)
    const res = await api(kube, 'DELETE', '/api/v1/namespaces/app/secrets/db')
    expect(res.status).toBe(503)
    expect(res.body.reason).toBe('ServiceUnavailable')
    expect(kube.readSecret('app', 'db')).toBeDefined()
    const list = (await (await fetch(`${kube.url}/__test/faults`)).json()) as {faults: {fired: number}[]}
    expect(list.faults[0]!.fired).toBe(1)
    await fetch(`${kube.url}/__test/faults`, {method: 'DELETE'})
    expect(kube.faults.list()).toEqual([])
  })

  it('logs method, path, query, verb, resource, namespace, name, user and status — never the token or a value', async () => {
    const {token} = kube.createToken({user: 'reader', rules: [{verbs: ['list'], resources: ['secrets'], namespaces: ['app']}]})
    await api(kube, 'GET', '/api/v1/namespaces/app/secrets?labelSelector=a%3Db&limit=5', {token})
    await api(kube, 'GET', '/api/v1/namespaces/app/secrets/db', {token})
    await api(kube, 'GET', '/api/v1/namespaces/app/secrets/db')
    await api(kube, 'GET', '/api/v1/namespaces/app/secrets/db', {token: 'wrong-token'})
    const [list, forbiddenGet, adminGet, unknown] = kube.log
    expect(list).toMatchObject({
      method: 'GET',
      path: '/api/v1/namespaces/app/secrets',
      query: {labelSelector: 'a=b', limit: '5'},
      verb: 'list',
      resource: 'secrets',
      namespace: 'app',
      name: '',
      user: 'reader',
      tokenPresented: true,
      status: 200,
      readSecretData: true,
      returnedSecretData: false,
    })
    expect(forbiddenGet).toMatchObject({
      verb: 'get',
      name: 'db',
      user: 'reader',
      status: 403,
      reason: 'Forbidden',
      returnedSecretData: false,
    })
    expect(adminGet).toMatchObject({user: 'kubernetes-admin', status: 200, returnedSecretData: true})
    expect(unknown).toMatchObject({user: null, tokenPresented: true, status: 401, reason: 'Unauthorized'})
    expect(kube.secretReads()).toHaveLength(4)
    const text = JSON.stringify(kube.log)
    for (const secret of [token, kube.adminToken, 'wrong-token', CANARY, Buffer.from(CANARY).toString('base64')])
      expect(text).not.toContain(secret)
    const remote = (await (await fetch(`${kube.url}/__test/log`)).json()) as {entries: unknown[]}
    expect(remote.entries).toHaveLength(4)
  })
})
