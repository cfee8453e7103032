/**
 * RBAC per token on the test server: rules by verb, resource, namespace and resource name,
 * cluster-scoped namespace requests, the 403 Status body the API server writes, and tokens
 * created and revoked over the test-control API.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type KubeTestServer, startKubeServer} from '../../support/kubernetes/index.js'
import {api} from './helpers.js'

describe('Kubernetes test server: RBAC', () => {
  let kube: KubeTestServer

  beforeAll(async () => {
    kube = await startKubeServer({namespaces: ['team-a', 'team-b']})
    kube.putSecret('team-a', 'db', {stringData: {password: 'x'}})
    kube.putSecret('team-b', 'db', {stringData: {password: 'y'}})
  })
  afterAll(async () => {
    await kube?.close()
  })

  it('allows exactly the verbs a rule grants in its namespaces, with the API server 403 body otherwise', async () => {
    const {token} = kube.createToken({
      user: 'applier',
      rules: [{verbs: ['get', 'list', 'create', 'update', 'patch'], resources: ['secrets'], namespaces: ['team-a']}],
    })
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-a/secrets/db', {token})).status).toBe(200)
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-a/secrets', {token})).status).toBe(200)
    expect((await api(kube, 'POST', '/api/v1/namespaces/team-a/secrets', {token, body: {metadata: {name: 'new'}}})).status).toBe(201)
    const del = await api(kube, 'DELETE', '/api/v1/namespaces/team-a/secrets/db', {token})
    expect(del.status).toBe(403)
    expect(del.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets "db" is forbidden: User "applier" cannot delete resource "secrets" in API group "" in the namespace "team-a"',
      reason: 'Forbidden',
      details: {name: 'db', kind: 'secrets'},
      code: 403,
    })
    const otherNs = await api(kube, 'GET', '/api/v1/namespaces/team-b/secrets', {token})
    expect(otherNs.status).toBe(403)
    expect(otherNs.body.message).toBe(
      'secrets is forbidden: User "applier" cannot list resource "secrets" in API group "" in the namespace "team-b"',
    )
    const allNs = await api(kube, 'GET', '/api/v1/secrets', {token})
    expect(allNs.body.message).toBe(
      'secrets is forbidden: User "applier" cannot list resource "secrets" in API group "" at the cluster scope',
    )
    const watch = await api(kube, 'GET', '/api/v1/namespaces/team-a/secrets?watch=true', {token})
    expect(watch.body.message).toContain('cannot watch resource "secrets"')
    // A forbidden request is refused before anything else: a missing object is not revealed.
    const missing = await api(kube, 'DELETE', '/api/v1/namespaces/team-b/secrets/nope', {token})
    expect(missing.status).toBe(403)
  })

  it('checks namespaces: list/create are cluster-scoped, get of a namespace is in that namespace', async () => {
    const {token} = kube.createToken({user: 'ns-reader', rules: [{verbs: ['get'], resources: ['namespaces'], namespaces: ['team-a']}]})
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-a', {token})).status).toBe(200)
    const b = await api(kube, 'GET', '/api/v1/namespaces/team-b', {token})
    expect(b.body.message).toBe(
      'namespaces "team-b" is forbidden: User "ns-reader" cannot get resource "namespaces" in API group "" in the namespace "team-b"',
    )
    const create = await api(kube, 'POST', '/api/v1/namespaces', {token, body: {metadata: {name: 'x'}}})
    expect(create.body.message).toBe(
      'namespaces is forbidden: User "ns-reader" cannot create resource "namespaces" in API group "" at the cluster scope',
    )
    const admin = kube.createToken({user: 'ns-admin', rules: [{verbs: ['*'], resources: ['namespaces']}]})
    expect((await api(kube, 'POST', '/api/v1/namespaces', {token: admin.token, body: {metadata: {name: 'made'}}})).status).toBe(201)
    expect((await api(kube, 'GET', '/api/v1/namespaces', {token: admin.token})).status).toBe(200)
  })

  it('limits a rule to resource names (never matching list or create)', async () => {
    const {token} = kube.createToken({
      user: 'one',
      rules: [{verbs: ['get', 'list', 'create'], resources: ['secrets'], namespaces: ['team-b'], resourceNames: ['db']}],
    })
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-b/secrets/db', {token})).status).toBe(200)
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-b/secrets/other', {token})).status).toBe(403)
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-b/secrets', {token})).status).toBe(403)
    expect((await api(kube, 'POST', '/api/v1/namespaces/team-b/secrets', {token, body: {metadata: {name: 'db'}}})).status).toBe(403)
  })

  it('lets any valid token read discovery, and refuses unknown verbs or resources in rules', async () => {
    const {token} = kube.createToken({user: 'nobody', rules: []})
    expect((await api(kube, 'GET', '/api/v1', {token})).status).toBe(200)
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-a/secrets/db', {token})).status).toBe(403)
    expect(() => kube.createToken({user: 'typo', rules: [{verbs: ['read'], resources: ['secrets']}]})).toThrow(/unknown verb "read"/)
    expect(() => kube.createToken({user: 'typo', rules: [{verbs: ['get'], resources: ['configmaps']}]})).toThrow(
      /unknown resource "configmaps"/,
    )
  })

  it('creates and revokes tokens over the test-control API', async () => {
    const created = await fetch(`${kube.url}/__test/tokens`, {
      method: 'POST',
      body: JSON.stringify({user: 'remote', rules: [{verbs: ['get'], resources: ['secrets'], namespaces: ['team-a']}]}),
    })
    const {token, user} = (await created.json()) as {token: string; user: string}
    expect(user).toBe('remote')
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-a/secrets/db', {token})).status).toBe(200)
    await fetch(`${kube.url}/__test/tokens`, {method: 'DELETE', body: JSON.stringify({token})})
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-a/secrets/db', {token})).status).toBe(401)
    expect(kube.log.filter((e) => e.user === 'remote').map((e) => e.status)).toEqual([200])
  })
})
