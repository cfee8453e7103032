import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createTestClock, startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {api, POLICY_DENIED, TOKEN_DENIED} from './helpers.js'

describe('OpenBao test server: token auth', () => {
  let bao: OpenBaoTestServer
  beforeAll(async () => {
    bao = await startOpenBaoTestServer({rootToken: 'root', clock: createTestClock({frozenAt: Date.parse('2025-06-01T00:00:00Z')})})
    bao.putPolicy('app', 'path "secret/data/app/*" { capabilities = ["read", "create", "update"] }')
    bao.putPolicy('ops', 'path "secret/*" { capabilities = ["read", "list"] }')
    await api(bao, 'POST', 'secret/data/app/x', {body: {data: {v: '1'}}})
  })
  afterAll(async () => {
    await bao.close()
  })

  it('takes X-Vault-Token first, else Authorization: Bearer', async () => {
    const bearer = await fetch(`${bao.url}/v1/auth/token/lookup-self`, {headers: {Authorization: 'Bearer root'}})
    expect(bearer.status).toBe(200)
    const both = await fetch(`${bao.url}/v1/auth/token/lookup-self`, {headers: {'X-Vault-Token': 'nope', Authorization: 'Bearer root'}})
    expect(both.status).toBe(403)
    expect(await both.json()).toEqual(TOKEN_DENIED)
  })

  it('creates service tokens with OpenBao’s auth block (s. prefix, default policy, no period field)', async () => {
    const res = await api(bao, 'POST', 'auth/token/create', {body: {policies: ['app'], ttl: '1h', meta: {who: 'ci'}, period: ''}})
    expect(res.status).toBe(200)
    expect(res.json.data).toBeNull()
    const auth = res.json.auth
    expect(Object.keys(auth)).toEqual([
      'client_token',
      'accessor',
      'policies',
      'token_policies',
      'metadata',
      'lease_duration',
      'renewable',
      'entity_id',
      'token_type',
      'orphan',
      'mfa_requirement',
      'num_uses',
    ])
    expect(auth.client_token).toMatch(/^s\.[A-Za-z0-9]{24}$/)
    expect(auth).toMatchObject({
      policies: ['app', 'default'],
      token_policies: ['app', 'default'],
      metadata: {who: 'ci'},
      lease_duration: 3600,
      renewable: true,
      token_type: 'service',
      orphan: false,
      num_uses: 0,
    })
    expect(auth.period).toBeUndefined()
    const missing = await api(bao, 'POST', 'auth/token/create', {body: {policies: ['nosuch']}})
    expect(missing.json.warnings).toEqual(['Policy "nosuch" does not exist'])
    expect(missing.json.auth.lease_duration).toBe(768 * 3600)
  })

  it('looks tokens up by self, token and accessor', async () => {
    const created = (await api(bao, 'POST', 'auth/token/create', {body: {policies: ['app'], ttl: '30m', display_name: 'ci job'}})).json.auth
    const self = await api(bao, 'GET', 'auth/token/lookup-self', {token: created.client_token})
    expect(self.json.data).toMatchObject({
      id: created.client_token,
      accessor: created.accessor,
      policies: ['app', 'default'],
      path: 'auth/token/create',
      display_name: 'token-ci-job',
      creation_ttl: 1800,
      ttl: 1800,
      explicit_max_ttl: 0,
      orphan: false,
      renewable: true,
      type: 'service',
      expire_time: '2025-06-01T00:30:00Z',
      issue_time: '2025-06-01T00:00:00Z',
    })
    expect(self.json.data.period).toBeUndefined()
    const byToken = await api(bao, 'POST', 'auth/token/lookup', {body: {token: created.client_token}})
    expect(byToken.json.data.accessor).toBe(created.accessor)
    const byAccessor = await api(bao, 'POST', 'auth/token/lookup-accessor', {body: {accessor: created.accessor}})
    expect(byAccessor.json.data.id).toBe('')
    expect(byAccessor.json.data.policies).toEqual(['app', 'default'])
    expect((await api(bao, 'POST', 'auth/token/lookup-accessor', {body: {accessor: 'nope'}})).json).toEqual({errors: ['invalid accessor']})
  })

  it('refuses an expired token with 403 permission denied (injectable clock)', async () => {
    const {token} = bao.createToken({policies: ['app'], ttl: '10m'})
    expect((await api(bao, 'GET', 'secret/data/app/x', {token})).status).toBe(200)
    bao.clock.advance(10 * 60_000)
    const expired = await api(bao, 'GET', 'secret/data/app/x', {token})
    expect(expired.status).toBe(403)
    expect(expired.json).toEqual(TOKEN_DENIED)
  })

  it('renews: the TTL comes back; a periodic token gets its period back', async () => {
    const created = (await api(bao, 'POST', 'auth/token/create', {body: {policies: ['app'], ttl: '1h'}})).json.auth
    bao.clock.advance(45 * 60_000)
    const renewed = await api(bao, 'POST', 'auth/token/renew-self', {token: created.client_token, body: {}})
    expect(renewed.status).toBe(200)
    expect(renewed.json.auth).toMatchObject({client_token: created.client_token, lease_duration: 3600, renewable: true})
    const inc = await api(bao, 'POST', 'auth/token/renew-self', {token: created.client_token, body: {increment: '2h'}})
    expect(inc.json.auth.lease_duration).toBe(7200)

    const periodic = (await api(bao, 'POST', 'auth/token/create', {body: {policies: ['app'], period: '24h'}})).json.auth
    expect(periodic.lease_duration).toBe(86400)
    bao.clock.advance(20 * 3600_000)
    const lookup = await api(bao, 'GET', 'auth/token/lookup-self', {token: periodic.client_token})
    expect(lookup.json.data.ttl).toBe(4 * 3600)
    expect(lookup.json.data.period).toBe(86400)
    const back = await api(bao, 'POST', 'auth/token/renew-self', {token: periodic.client_token, body: {increment: '1h'}})
    expect(back.json.auth.lease_duration).toBe(86400)
    bao.clock.advance(23 * 3600_000)
    expect((await api(bao, 'GET', 'secret/data/app/x', {token: periodic.client_token})).status).toBe(200)
  })

  it('caps renewals at the explicit max TTL and refuses non-renewable tokens', async () => {
    const capped = (await api(bao, 'POST', 'auth/token/create', {body: {policies: ['app'], ttl: '1h', explicit_max_ttl: '90m'}})).json.auth
    bao.clock.advance(60 * 60_000 - 1000)
    const renewed = await api(bao, 'POST', 'auth/token/renew-self', {token: capped.client_token, body: {}})
    expect(renewed.json.auth.lease_duration).toBe(30 * 60 + 1)
    expect(renewed.json.warnings[0]).toMatch(/TTL value is capped accordingly$/)
    const fixed = (await api(bao, 'POST', 'auth/token/create', {body: {policies: ['app'], renewable: false, ttl: '1h'}})).json.auth
    expect(fixed.renewable).toBe(false)
    expect((await api(bao, 'POST', 'auth/token/renew-self', {token: fixed.client_token, body: {}})).json).toEqual({
      errors: ['lease is not renewable'],
    })
  })

  it('needs root or sudo for a periodic token without a role', async () => {
    bao.putPolicy('creator', 'path "auth/token/create" { capabilities = ["update"] }')
    const {token} = bao.createToken({policies: ['creator', 'app']})
    const refused = await api(bao, 'POST', 'auth/token/create', {token, body: {policies: ['app'], period: '1h'}})
    expect(refused.status).toBe(400)
    expect(refused.json).toEqual({errors: ['root or sudo privileges required to create periodic token']})
    const outside = await api(bao, 'POST', 'auth/token/create', {token, body: {policies: ['ops']}})
    expect(outside.json).toEqual({errors: ['child policies must be subset of parent']})
    expect((await api(bao, 'POST', 'auth/token/create', {token, body: {policies: ['app']}})).json.auth.policies).toEqual(['app', 'default'])
  })

  it('creates tokens against roles: subset check and message, role policies plus default', async () => {
    const role = await api(bao, 'POST', 'auth/token/roles/secretctl', {
      body: {
        allowed_policies: ['app'],
        orphan: true,
        renewable: true,
        token_period: '24h',
        token_explicit_max_ttl: '720h',
        token_type: 'service',
      },
    })
    expect(role.status).toBe(204)
    const read = await api(bao, 'GET', 'auth/token/roles/secretctl')
    expect(read.json.data).toMatchObject({
      name: 'secretctl',
      allowed_policies: ['app'],
      orphan: true,
      token_period: 86400,
      token_explicit_max_ttl: 2592000,
      period: 0,
      token_type: 'service',
    })
    expect((await api(bao, 'LIST', 'auth/token/roles')).json.data.keys).toEqual(['secretctl'])

    const created = await api(bao, 'POST', 'auth/token/create/secretctl', {body: {}})
    expect(created.json.auth).toMatchObject({policies: ['app', 'default'], orphan: true, lease_duration: 86400})
    const lookup = await api(bao, 'GET', 'auth/token/lookup-self', {token: created.json.auth.client_token})
    expect(lookup.json.data.role).toBe('secretctl')
    expect(lookup.json.data.path).toBe('auth/token/create/secretctl')

    const refused = await api(bao, 'POST', 'auth/token/create/secretctl', {body: {policies: ['ops']}})
    expect(refused.status).toBe(400)
    expect(refused.json).toEqual({
      errors: [
        'token policies (["default" "ops"]) must be subset of the role\'s allowed policies (["app" "default"]) or glob policies ([])',
      ],
    })
    expect((await api(bao, 'POST', 'auth/token/create/nosuch', {body: {}})).json).toEqual({errors: ['unknown role nosuch']})

    await api(bao, 'POST', 'auth/token/roles/legacy', {
      body: {allowed_policies: 'app', period: 3600, explicit_max_ttl: 7200, disallowed_policies: ['ops']},
    })
    const legacy = await api(bao, 'GET', 'auth/token/roles/legacy')
    expect(legacy.json.data).toMatchObject({
      period: 3600,
      token_period: 3600,
      explicit_max_ttl: 7200,
      token_explicit_max_ttl: 7200,
      disallowed_policies: ['ops'],
    })
    expect((await api(bao, 'POST', 'auth/token/create/legacy', {body: {}})).json.auth.lease_duration).toBe(3600)
  })

  it('revokes by accessor (unknown accessor: 200 with a warning) and revokes children with their parent', async () => {
    bao.putPolicy('spawner', 'path "auth/token/create*" { capabilities = ["update"] }')
    const parent = (await api(bao, 'POST', 'auth/token/create', {body: {policies: ['app', 'spawner']}})).json.auth
    const child = (await api(bao, 'POST', 'auth/token/create', {token: parent.client_token, body: {}})).json.auth
    const orphan = (await api(bao, 'POST', 'auth/token/create-orphan', {token: parent.client_token, body: {}})).json.auth
    expect(orphan.orphan).toBe(true)
    const unknown = await api(bao, 'POST', 'auth/token/revoke-accessor', {body: {accessor: 'no-such-accessor'}})
    expect(unknown.status).toBe(200)
    expect(unknown.json.warnings).toEqual(['No token found with this accessor'])
    expect((await api(bao, 'POST', 'auth/token/revoke-accessor', {body: {accessor: parent.accessor}})).status).toBe(204)
    expect((await api(bao, 'GET', 'auth/token/lookup-self', {token: parent.client_token})).json).toEqual(TOKEN_DENIED)
    expect((await api(bao, 'GET', 'auth/token/lookup-self', {token: child.client_token})).json).toEqual(TOKEN_DENIED)
    expect((await api(bao, 'GET', 'auth/token/lookup-self', {token: orphan.client_token})).status).toBe(200)
  })

  it('revokes itself with revoke-self (204)', async () => {
    const {token} = bao.createToken({policies: ['app']})
    expect((await api(bao, 'POST', 'auth/token/revoke-self', {token})).status).toBe(204)
    expect((await api(bao, 'GET', 'secret/data/app/x', {token})).json).toEqual(TOKEN_DENIED)
  })

  it('counts down num_uses and refuses after the last use', async () => {
    const created = (await api(bao, 'POST', 'auth/token/create', {body: {policies: ['app'], num_uses: 2}})).json.auth
    expect((await api(bao, 'GET', 'secret/data/app/x', {token: created.client_token})).status).toBe(200)
    expect((await api(bao, 'GET', 'secret/data/app/x', {token: created.client_token})).status).toBe(200)
    expect((await api(bao, 'GET', 'secret/data/app/x', {token: created.client_token})).json).toEqual(TOKEN_DENIED)
  })

  it('lists accessors only with sudo; a policy-refused token gets the multierror body', async () => {
    const keys = (await api(bao, 'LIST', 'auth/token/accessors')).json.data.keys as string[]
    expect(keys.length).toBeGreaterThan(0)
    const {token} = bao.createToken({policies: ['app']})
    expect((await api(bao, 'LIST', 'auth/token/accessors', {token})).json).toEqual(POLICY_DENIED)
  })
})
