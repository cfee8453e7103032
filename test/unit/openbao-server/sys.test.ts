import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {api, POLICY_DENIED, TOKEN_DENIED} from './helpers.js'

describe('OpenBao test server: sys/health, seal, mounts, namespaces', () => {
  let bao: OpenBaoTestServer
  beforeAll(async () => {
    bao = await startOpenBaoTestServer()
  })
  afterAll(async () => {
    await bao.close()
  })

  it('answers sys/health without a token: 200 active, 429 standby, 503 sealed, with overrides', async () => {
    const active = await api(bao, 'GET', 'sys/health', {token: null})
    expect(active.status).toBe(200)
    expect(Object.keys(active.json)).toEqual([
      'initialized',
      'sealed',
      'standby',
      'performance_standby',
      'replication_performance_mode',
      'replication_dr_mode',
      'server_time_utc',
      'version',
      'cluster_name',
      'cluster_id',
    ])
    expect(active.json).toMatchObject({initialized: true, sealed: false, standby: false, replication_dr_mode: 'disabled'})

    bao.setStandby(true)
    expect((await api(bao, 'GET', 'sys/health', {token: null})).status).toBe(429)
    expect((await api(bao, 'GET', 'sys/health?standbyok=true', {token: null})).status).toBe(200)
    expect((await api(bao, 'GET', 'sys/health?standbycode=200', {token: null})).status).toBe(200)
    bao.setStandby(false)

    bao.seal()
    const sealed = await api(bao, 'GET', 'sys/health', {token: null})
    expect(sealed.status).toBe(503)
    expect(sealed.json).toMatchObject({initialized: true, sealed: true})
    expect(sealed.json.cluster_id).toBeUndefined()
    expect((await api(bao, 'GET', 'sys/health?sealedcode=200', {token: null})).status).toBe(200)
    const head = await fetch(`${bao.url}/v1/sys/health`, {method: 'HEAD'})
    expect(head.status).toBe(503)
    bao.unseal()
    expect((await api(bao, 'GET', 'sys/health?activecode=204', {token: null})).status).toBe(204)
    expect((await api(bao, 'GET', 'sys/health?activecode=abc', {token: null})).json).toEqual({errors: []})
  })

  it('reports 501 when not initialised, and initialises through sys/init', async () => {
    const fresh = await startOpenBaoTestServer({initialized: false})
    try {
      expect(fresh.rootToken).toBe('')
      const health = await api(fresh, 'GET', 'sys/health', {token: null})
      expect(health.status).toBe(501)
      expect(health.json).toMatchObject({initialized: false, sealed: true})
      expect((await api(fresh, 'GET', 'sys/init', {token: null})).json).toEqual({initialized: false})
      const init = await api(fresh, 'PUT', 'sys/init', {token: null, body: {secret_shares: 1, secret_threshold: 1}})
      expect(init.json.root_token).toMatch(/^s\./)
      expect((await api(fresh, 'GET', 'sys/health', {token: null})).status).toBe(503)
      const unseal = await api(fresh, 'PUT', 'sys/unseal', {token: null, body: {key: init.json.keys_base64[0]}})
      expect(unseal.json).toMatchObject({sealed: false, t: 1, n: 1})
      expect((await api(fresh, 'GET', 'sys/mounts', {token: init.json.root_token})).status).toBe(200)
    } finally {
      await fresh.close()
    }
  })

  it('answers every other request with 503 Vault is sealed while sealed; sys/seal and sys/unseal work over HTTP', async () => {
    expect((await api(bao, 'PUT', 'sys/seal')).status).toBe(204)
    for (const [method, path] of [
      ['GET', 'secret/data/x'],
      ['LIST', 'secret/metadata/'],
      ['POST', 'auth/token/create'],
      ['GET', 'sys/mounts'],
    ] as const) {
      const res = await api(bao, method, path, {body: method === 'POST' ? {} : undefined})
      expect(res.status).toBe(503)
      expect(res.json).toEqual({errors: ['Vault is sealed']})
    }
    expect((await api(bao, 'GET', 'sys/seal-status', {token: null})).json).toMatchObject({type: 'shamir', sealed: true})
    expect((await api(bao, 'PUT', 'sys/unseal', {token: null, body: {key: 'AAAA'}})).json).toEqual({errors: ['Unseal failed, invalid key']})
    expect((await api(bao, 'PUT', 'sys/unseal', {token: null, body: {key: bao.unsealKey}})).json.sealed).toBe(false)
    expect((await api(bao, 'GET', 'sys/mounts')).status).toBe(200)
  })

  it('needs a root/sudo token to seal', async () => {
    const {token} = bao.createToken({policies: []})
    expect((await api(bao, 'PUT', 'sys/seal', {token})).json).toEqual(POLICY_DENIED)
    expect((await api(bao, 'PUT', 'sys/seal', {token: 'bogus'})).json).toEqual(TOKEN_DENIED)
    expect(bao.isSealed()).toBe(false)
  })

  it('lists, enables, tunes and disables mounts with OpenBao’s messages', async () => {
    const list = await api(bao, 'GET', 'sys/mounts')
    expect(list.json.data['secret/']).toMatchObject({type: 'kv', options: {version: '2'}})
    expect(list.json['secret/']).toEqual(list.json.data['secret/'])
    expect(Object.keys(list.json.data)).toEqual(['cubbyhole/', 'identity/', 'secret/', 'sys/'])

    const taken = await api(bao, 'POST', 'sys/mounts/secret', {body: {type: 'kv', options: {version: '2'}}})
    expect(taken.status).toBe(400)
    expect(taken.json).toEqual({errors: ['path is already in use at secret/']})
    expect((await api(bao, 'POST', 'sys/mounts/secret/nested', {body: {type: 'kv'}})).json).toEqual({
      errors: ['path is already in use at secret/'],
    })

    expect((await api(bao, 'POST', 'sys/mounts/team-kv', {body: {type: 'kv-v2', description: 'team'}})).status).toBe(204)
    const one = await api(bao, 'GET', 'sys/mounts/team-kv')
    expect(one.json.data).toMatchObject({type: 'kv', description: 'team', options: {version: '2'}})
    expect(one.json.type).toBe('kv')
    expect((await api(bao, 'GET', 'sys/mounts/team-kv/tune')).json.data).toMatchObject({default_lease_ttl: 2764800, max_lease_ttl: 2764800})

    expect((await api(bao, 'POST', 'sys/mounts/v1kv', {body: {type: 'kv'}})).status).toBe(204)
    await api(bao, 'PUT', 'v1kv/legacy', {body: {a: '1'}})
    expect((await api(bao, 'GET', 'v1kv/legacy')).json.data).toEqual({a: '1'})
    expect((await api(bao, 'POST', 'sys/mounts/v1kv/tune', {body: {options: {version: '2'}}})).status).toBe(204)
    expect((await api(bao, 'GET', 'v1kv/data/legacy')).json.data.data).toEqual({a: '1'})

    expect((await api(bao, 'POST', 'sys/mounts/transit', {body: {type: 'transit'}})).json).toEqual({
      errors: ['plugin not found in the catalog: transit'],
    })
    expect((await api(bao, 'DELETE', 'sys/mounts/team-kv')).status).toBe(204)
    expect((await api(bao, 'GET', 'team-kv/data/x')).json).toEqual({
      errors: ['no handler for route "team-kv/data/x". route entry not found.'],
    })
    expect((await api(bao, 'DELETE', 'sys/mounts/never-was')).status).toBe(204)
    expect((await api(bao, 'DELETE', 'sys/mounts/sys')).json).toEqual({errors: ['cannot unmount "sys/"']})
  })

  it('answers the CLI’s mount probe (sys/internal/ui/mounts/:path)', async () => {
    const res = await api(bao, 'GET', 'sys/internal/ui/mounts/secret/app/db')
    expect(res.json.data).toMatchObject({path: 'secret/', type: 'kv', options: {version: '2'}})
    const {token} = bao.createToken({policies: []})
    expect((await api(bao, 'GET', 'sys/internal/ui/mounts/secret/app', {token})).status).toBe(403)
  })

  it('keeps namespaces separate: mounts, policies, tokens; unknown namespace is 404', async () => {
    expect((await api(bao, 'POST', 'sys/namespaces/team-a', {body: {}})).json.data).toMatchObject({path: 'team-a/'})
    bao.createNamespace('team-b')
    expect((await api(bao, 'LIST', 'sys/namespaces')).json.data.keys).toEqual(['team-a/', 'team-b/'])

    const unknown = await api(bao, 'GET', 'secret/data/x', {namespace: 'nope'})
    expect(unknown.status).toBe(404)
    expect(unknown.json).toEqual({errors: ['namespace not found']})
    expect(unknown.headers.get('x-vault-namespace')).toBe('nope')

    // No KV mount inside a new namespace until one is enabled there.
    const noMount = await api(bao, 'GET', 'secret/data/x', {namespace: 'team-a'})
    expect(noMount.json).toEqual({errors: ['no handler for route "team-a/secret/data/x". route entry not found.']})
    expect((await api(bao, 'POST', 'sys/mounts/secret', {namespace: 'team-a', body: {type: 'kv', options: {version: '2'}}})).status).toBe(
      204,
    )
    await api(bao, 'POST', 'secret/data/shared-name', {namespace: 'team-a', body: {data: {who: 'a'}}})
    await api(bao, 'POST', 'secret/data/shared-name', {body: {data: {who: 'root'}}})
    expect((await api(bao, 'GET', 'secret/data/shared-name', {namespace: 'team-a'})).json.data.data).toEqual({who: 'a'})
    expect((await api(bao, 'GET', 'team-a/secret/data/shared-name')).json.data.data).toEqual({who: 'a'})
    expect((await api(bao, 'GET', 'secret/data/shared-name')).json.data.data).toEqual({who: 'root'})
    expect(bao.readKv('secret', 'shared-name', {namespace: 'team-a'})?.data).toEqual({who: 'a'})

    // Policies live per namespace; a token made in team-a works there and not in the root namespace.
    await api(bao, 'PUT', 'sys/policies/acl/reader', {
      namespace: 'team-a',
      body: {policy: 'path "secret/data/*" { capabilities = ["read"] }'},
    })
    expect((await api(bao, 'GET', 'sys/policies/acl/reader')).status).toBe(404)
    const created = await api(bao, 'POST', 'auth/token/create', {namespace: 'team-a', body: {policies: ['reader']}})
    const token = created.json.auth.client_token as string
    expect(token).toMatch(/^s\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{5}$/)
    expect((await api(bao, 'GET', 'secret/data/shared-name', {namespace: 'team-a', token})).status).toBe(200)
    expect((await api(bao, 'GET', 'secret/data/shared-name', {token})).json).toEqual(TOKEN_DENIED)
    expect((await api(bao, 'GET', 'secret/data/shared-name', {namespace: 'team-b', token})).json).toEqual(TOKEN_DENIED)

    expect((await api(bao, 'GET', 'sys/health', {namespace: 'team-a', token: null})).json).toEqual({
      errors: ['operation unavailable in namespaces'],
    })
    expect((await api(bao, 'DELETE', 'sys/namespaces/team-b')).status).toBe(204)
    expect((await api(bao, 'GET', 'secret/data/x', {namespace: 'team-b'})).json).toEqual({errors: ['namespace not found']})
  })
})
