/**
 * The test server's API, called directly: discovery, 401, Status bodies for 404/409/422/400,
 * optimistic concurrency on metadata.resourceVersion, validation (names, data keys, base64,
 * stringData, type, immutable), label and field selectors, list resourceVersion semantics and
 * pagination, the patch types, server-side apply, finalizers, and watch.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type KubeTestServer, startKubeServer} from '../../support/kubernetes/index.js'
import {api} from './helpers.js'

const NS = '/api/v1/namespaces/app/secrets'
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('Kubernetes test server: API', () => {
  let kube: KubeTestServer

  beforeAll(async () => {
    kube = await startKubeServer({namespaces: ['app']})
  })
  afterAll(async () => {
    await kube?.close()
  })

  it('serves discovery: /version, /api, /api/v1, /apis and OpenAPI v3', async () => {
    expect((await api(kube, 'GET', '/version')).body).toMatchObject({major: '1', minor: '32', gitVersion: 'v1.32.0'})
    expect((await api(kube, 'GET', '/api')).body).toMatchObject({kind: 'APIVersions', versions: ['v1']})
    expect((await api(kube, 'GET', '/apis')).body).toEqual({kind: 'APIGroupList', apiVersion: 'v1', groups: []})
    const v1 = (await api(kube, 'GET', '/api/v1')).body
    expect(v1.kind).toBe('APIResourceList')
    const secrets = v1.resources.find((r: any) => r.name === 'secrets')
    expect(secrets).toMatchObject({namespaced: true, kind: 'Secret', singularName: 'secret'})
    expect(secrets.verbs).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'])
    expect(v1.resources.find((r: any) => r.name === 'namespaces')).toMatchObject({namespaced: false, shortNames: ['ns']})
    const index = (await api(kube, 'GET', '/openapi/v3')).body
    const url = index.paths['api/v1'].serverRelativeURL as string
    const doc = (await api(kube, 'GET', url)).body
    const patchParams = doc.paths['/api/v1/namespaces/{namespace}/secrets/{name}'].patch.parameters.map((p: any) => p.name)
    expect(patchParams).toContain('fieldValidation')
    expect(doc.components.schemas['io.k8s.api.core.v1.Secret']['x-kubernetes-group-version-kind']).toEqual([
      {group: '', kind: 'Secret', version: 'v1'},
    ])
    expect((await api(kube, 'GET', '/api/v1/configmaps')).body).toMatchObject({reason: 'NotFound', code: 404})
  })

  it('answers 401 Unauthorized without a token or with an unknown one', async () => {
    for (const token of [null, 'nope']) {
      const res = await api(kube, 'GET', NS, {token})
      expect(res.status).toBe(401)
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      })
    }
  })

  it('creates a Secret: server-set metadata, stringData merged into data, type Opaque by default', async () => {
    const before = kube.resourceVersion
    const res = await api(kube, 'POST', NS, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {name: 'db', labels: {app: 'web'}},
        data: {user: b64('admin')},
        stringData: {password: 'pw'},
      },
    })
    expect(res.status).toBe(201)
    expect(Object.keys(res.body)).toEqual(['kind', 'apiVersion', 'metadata', 'data', 'type'])
    expect(res.body.type).toBe('Opaque')
    expect(res.body.data).toEqual({password: b64('pw'), user: b64('admin')})
    expect(res.body.stringData).toBeUndefined()
    expect(res.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(Number(res.body.metadata.resourceVersion)).toBe(before + 1)
    expect(res.body.metadata.namespace).toBe('app')
    const dup = await api(kube, 'POST', NS, {body: {metadata: {name: 'db'}}})
    expect(dup.status).toBe(409)
    expect(dup.body).toMatchObject({
      reason: 'AlreadyExists',
      message: 'secrets "db" already exists',
      details: {name: 'db', kind: 'secrets'},
    })
  })

  it('answers 404 NotFound with the API server text, for a Secret and for a missing namespace', async () => {
    const res = await api(kube, 'GET', `${NS}/missing`)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets "missing" not found',
      reason: 'NotFound',
      details: {name: 'missing', kind: 'secrets'},
      code: 404,
    })
    const noNs = await api(kube, 'POST', '/api/v1/namespaces/nowhere/secrets', {body: {metadata: {name: 'x'}}})
    expect(noNs.status).toBe(404)
    expect(noNs.body.message).toBe('namespaces "nowhere" not found')
    const list = await api(kube, 'GET', '/api/v1/namespaces/nowhere/secrets')
    expect(list.status).toBe(200)
    expect(list.body.items).toEqual([])
  })

  it('rejects a PUT with a stale resourceVersion with 409 Conflict; a current one (or none) updates', async () => {
    const current = (await api(kube, 'GET', `${NS}/db`)).body
    const stale = current.metadata.resourceVersion
    const first = await api(kube, 'PUT', `${NS}/db`, {body: {...current, data: {...current.data, extra: b64('1')}}})
    expect(first.status).toBe(200)
    expect(Number(first.body.metadata.resourceVersion)).toBeGreaterThan(Number(stale))
    const second = await api(kube, 'PUT', `${NS}/db`, {body: {...current, data: {only: b64('2')}}})
    expect(second.status).toBe(409)
    expect(second.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on secrets "db": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: {name: 'db', kind: 'secrets'},
      code: 409,
    })
    const {resourceVersion: _, ...metaWithoutRv} = first.body.metadata
    const unconditional = await api(kube, 'PUT', `${NS}/db`, {body: {...first.body, metadata: metaWithoutRv, data: {only: b64('3')}}})
    expect(unconditional.status).toBe(200)
    expect(kube.readSecretData('app', 'db')).toEqual({only: '3'})
    // A no-op update keeps the resourceVersion.
    const same = await api(kube, 'PUT', `${NS}/db`, {body: unconditional.body})
    expect(same.body.metadata.resourceVersion).toBe(unconditional.body.metadata.resourceVersion)
    const missing = await api(kube, 'PUT', `${NS}/nope`, {body: {metadata: {name: 'nope'}}})
    expect(missing.status).toBe(404)
    const renamed = await api(kube, 'PUT', `${NS}/db`, {body: {metadata: {name: 'other'}}})
    expect(renamed.status).toBe(400)
    expect(renamed.body.message).toBe('the name of the object (other) does not match the name on the URL (db)')
  })

  it('answers 422 Invalid with one cause per field error', async () => {
    const res = await api(kube, 'POST', NS, {
      body: {metadata: {name: 'Bad_Name', labels: {'bad key!': 'v'}}, data: {'bad/key': b64('x'), ok: b64('y')}},
    })
    expect(res.status).toBe(422)
    expect(res.body.reason).toBe('Invalid')
    expect(res.body.details.name).toBe('Bad_Name')
    expect(res.body.details.kind).toBe('Secret')
    expect(res.body.details.causes.map((c: any) => [c.reason, c.field])).toEqual([
      ['FieldValueInvalid', 'metadata.name'],
      ['FieldValueInvalid', 'metadata.labels'],
      ['FieldValueInvalid', 'data[bad/key]'],
    ])
    expect(res.body.details.causes[2].message).toBe(
      `Invalid value: "bad/key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    )
    expect(res.body.message).toMatch(
      /^Secret "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    )
    const noName = await api(kube, 'POST', NS, {body: {metadata: {}}})
    expect(noName.body.details.causes).toEqual([
      {reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name'},
    ])
    const dots = await api(kube, 'POST', NS, {body: {metadata: {name: 'dots'}, data: {'..x': b64('x')}}})
    expect(dots.body.details.causes.map((c: any) => c.message)).toEqual([`Invalid value: "..x": must not start with '..'`])
    const tls = await api(kube, 'POST', NS, {body: {metadata: {name: 'tls'}, type: 'kubernetes.io/tls', data: {'tls.crt': b64('c')}}})
    expect(tls.body.details.causes).toEqual([{reason: 'FieldValueRequired', message: 'Required value', field: 'data[tls.key]'}])
  })

  it('answers 400 for non-base64 data, as the API server does (a decoding error, not a validation one)', async () => {
    const res = await api(kube, 'POST', NS, {body: {metadata: {name: 'b64'}, data: {k: 'abc'}}})
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({
      reason: 'BadRequest',
      message: 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0',
    })
    const mid = await api(kube, 'POST', NS, {body: {metadata: {name: 'b64'}, data: {k: 'YW*j'}}})
    expect(mid.body.message).toMatch(/illegal base64 data at input byte 2$/)
    expect((await api(kube, 'POST', NS, {body: {metadata: {name: 'b64'}, data: {k: 'YWJj\nZA=='}}})).status).toBe(201)
    expect(kube.readSecretData('app', 'b64')).toEqual({k: 'abcd'})
  })

  it('handles fieldValidation: Strict fails on unknown fields, Warn (default) answers a Warning header', async () => {
    const strict = await api(kube, 'POST', `${NS}?fieldValidation=Strict`, {body: {metadata: {name: 'fv', color: 'red'}, spec: {}}})
    expect(strict.status).toBe(400)
    expect(strict.body.message).toBe('strict decoding error: unknown field "spec", unknown field "metadata.color"')
    const warn = await api(kube, 'POST', NS, {body: {metadata: {name: 'fv'}, spec: {}}})
    expect(warn.status).toBe(201)
    expect(warn.headers.get('warning')).toBe('299 - "unknown field \\"spec\\""')
  })

  it('keeps type and immutable data immutable', async () => {
    await api(kube, 'POST', NS, {body: {metadata: {name: 'frozen'}, data: {a: b64('1')}, immutable: true}})
    const frozen = (await api(kube, 'GET', `${NS}/frozen`)).body
    const res = await api(kube, 'PUT', `${NS}/frozen`, {body: {...frozen, data: {a: b64('2')}, immutable: false, type: 'Other'}})
    expect(res.status).toBe(422)
    expect(res.body.details.causes).toEqual([
      {reason: 'FieldValueInvalid', message: 'Invalid value: "Other": field is immutable', field: 'type'},
      {reason: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field: 'immutable'},
      {reason: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field: 'data'},
    ])
    const labels = await api(kube, 'PATCH', `${NS}/frozen`, {
      body: {metadata: {labels: {ok: 'yes'}}},
      contentType: 'application/merge-patch+json',
    })
    expect(labels.status).toBe(200)
  })

  it('lists with label selectors (equality, inequality, set-based, exists) and field selectors', async () => {
    const mk = (name: string, labels: Record<string, string>) => kube.putSecret('app', name, {stringData: {v: name}, labels})
    mk('l-a', {tier: 'web', env: 'prod'})
    mk('l-b', {tier: 'db', env: 'prod'})
    mk('l-c', {tier: 'web'})
    const names = async (q: string) => {
      const res = await api(kube, 'GET', `${NS}?${q}`)
      expect(res.status, res.text).toBe(200)
      return res.body.items.map((i: any) => i.metadata.name).filter((n: string) => n.startsWith('l-'))
    }
    const sel = (s: string) => `labelSelector=${encodeURIComponent(s)}`
    expect(await names(sel('tier=web'))).toEqual(['l-a', 'l-c'])
    expect(await names(sel('tier==web,env=prod'))).toEqual(['l-a'])
    expect(await names(sel('tier!=web'))).toEqual(['l-b'])
    expect(await names(sel('tier in (db, web),env'))).toEqual(['l-a', 'l-b'])
    expect(await names(sel('tier notin (web)'))).toEqual(['l-b'])
    expect(await names(sel('tier,!env'))).toEqual(['l-c'])
    expect(await names(`fieldSelector=${encodeURIComponent('metadata.name=l-b')}`)).toEqual(['l-b'])
    expect(await names(`fieldSelector=${encodeURIComponent('metadata.name!=l-b,type=Opaque')}&${sel('tier')}`)).toEqual(['l-a', 'l-c'])
    const bad = await api(kube, 'GET', `${NS}?${sel('tier in web')}`)
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/^unable to parse requirement: /)
    const badField = await api(kube, 'GET', `${NS}?fieldSelector=spec.x%3Dy`)
    expect(badField.body.message).toBe('field label not supported: spec.x')
  })

  it('lists with resourceVersion semantics and limit/continue pagination', async () => {
    const list = await api(kube, 'GET', NS)
    const rv = Number(list.body.metadata.resourceVersion)
    expect(list.body.kind).toBe('SecretList')
    expect(list.body.items[0].kind).toBeUndefined()
    expect(rv).toBe(kube.resourceVersion)
    expect((await api(kube, 'GET', `${NS}?resourceVersion=0`)).status).toBe(200)
    expect((await api(kube, 'GET', `${NS}?resourceVersion=${rv}&resourceVersionMatch=Exact`)).status).toBe(200)
    const old = await api(kube, 'GET', `${NS}?resourceVersion=1&resourceVersionMatch=Exact`)
    expect(old.status).toBe(410)
    expect(old.body).toMatchObject({reason: 'Expired', message: 'The resourceVersion for the provided list is too old.'})
    const future = await api(kube, 'GET', `${NS}?resourceVersion=${rv + 100}`)
    expect(future.status).toBe(504)
    expect(future.body.message).toBe(`Timeout: Too large resource version: ${rv + 100}, current: ${rv}`)
    const all = list.body.items.map((i: any) => i.metadata.name)
    const seen: string[] = []
    let cont = ''
    for (let page = 0; page < 20; page++) {
      const res = await api(kube, 'GET', `${NS}?limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)
      seen.push(...res.body.items.map((i: any) => i.metadata.name))
      cont = res.body.metadata.continue ?? ''
      if (!cont) break
      expect(res.body.metadata.remainingItemCount).toBe(all.length - seen.length)
    }
    expect(seen).toEqual(all)
    expect(all).toEqual([...all].sort())
  })

  it('serves the Table form kubectl get asks for', async () => {
    const res = await api(kube, 'GET', `${NS}?limit=500`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    })
    expect(res.body.kind).toBe('Table')
    expect(res.body.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Type', 'Data', 'Age'])
    const row = res.body.rows.find((r: any) => r.cells[0] === 'l-a')
    expect(row.cells.slice(0, 3)).toEqual(['l-a', 'Opaque', 1])
    expect(row.object).toMatchObject({kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: {name: 'l-a'}})
    expect(row.object.data).toBeUndefined()
  })

  it('serves metadata only (PartialObjectMetadata, PartialObjectMetadataList) and logs that no value was returned', async () => {
    kube.putSecret('app', 'pm-a', {stringData: {K: 'v'}, labels: {pm: 'yes'}})
    kube.clearLog()
    const one = await api(kube, 'GET', `${NS}/pm-a`, {
      accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json',
    })
    expect(one.body).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: {name: 'pm-a', labels: {pm: 'yes'}},
    })
    expect(one.body.data).toBeUndefined()
    expect(one.body.metadata.resourceVersion).toMatch(/^\d+$/)
    const list = await api(kube, 'GET', `${NS}?labelSelector=pm%3Dyes`, {
      accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
    })
    expect(list.body.kind).toBe('PartialObjectMetadataList')
    expect(list.body.items.map((i: any) => [i.kind, i.metadata.name, i.data])).toEqual([['PartialObjectMetadata', 'pm-a', undefined]])
    expect(kube.log.map((e) => e.returnedSecretData)).toEqual([false, false])
    // A list type on a get is not served: the next media range (the full object) is.
    const full = await api(kube, 'GET', `${NS}/pm-a`, {
      accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
    })
    expect(full.body.kind).toBe('Secret')
  })

  it('applies merge, strategic merge ($patch, null) and JSON patches; a patched resourceVersion is a precondition', async () => {
    kube.putSecret('app', 'p', {stringData: {a: '1', b: '2'}, labels: {x: '1'}})
    const url = `${NS}/p`
    const merge = await api(kube, 'PATCH', url, {body: {data: {c: b64('3'), a: null}}, contentType: 'application/merge-patch+json'})
    expect(merge.status).toBe(200)
    expect(kube.readSecretData('app', 'p')).toEqual({b: '2', c: '3'})
    const strategic = await api(kube, 'PATCH', url, {
      body: {data: {b: null}, stringData: {d: '4'}, metadata: {labels: {$patch: 'replace', y: '2'}, finalizers: ['example.com/keep']}},
      contentType: 'application/strategic-merge-patch+json',
    })
    expect(strategic.status, strategic.text).toBe(200)
    expect(kube.readSecretData('app', 'p')).toEqual({c: '3', d: '4'})
    expect(strategic.body.metadata.labels).toEqual({y: '2'})
    const finalizers = await api(kube, 'PATCH', url, {
      body: {metadata: {finalizers: ['example.com/other'], '$deleteFromPrimitiveList/finalizers': ['example.com/keep']}},
      contentType: 'application/strategic-merge-patch+json',
    })
    expect(finalizers.body.metadata.finalizers).toEqual(['example.com/other'])
    const json = await api(kube, 'PATCH', url, {
      body: [
        {op: 'remove', path: '/data/c'},
        {op: 'add', path: '/data/e', value: b64('5')},
      ],
      contentType: 'application/json-patch+json',
    })
    expect(json.status).toBe(200)
    expect(kube.readSecretData('app', 'p')).toEqual({d: '4', e: '5'})
    const failedTest = await api(kube, 'PATCH', url, {
      body: [{op: 'test', path: '/data/e', value: 'x'}],
      contentType: 'application/json-patch+json',
    })
    expect(failedTest.status).toBe(422)
    const stale = await api(kube, 'PATCH', url, {
      body: {metadata: {resourceVersion: '1'}, data: {z: b64('z')}},
      contentType: 'application/merge-patch+json',
    })
    expect(stale.status).toBe(409)
    expect(stale.body.reason).toBe('Conflict')
    const unsupported = await api(kube, 'PATCH', url, {body: {}, contentType: 'application/json'})
    expect(unsupported.status).toBe(415)
    expect(unsupported.body.reason).toBe('UnsupportedMediaType')
    const missing = await api(kube, 'PATCH', `${NS}/absent`, {body: {}, contentType: 'application/merge-patch+json'})
    expect(missing.status).toBe(404)
  })

  it('holds a Secret with finalizers until they are removed', async () => {
    const url = `${NS}/p`
    const del = await api(kube, 'DELETE', url)
    expect(del.status).toBe(200)
    expect(del.body.metadata.deletionTimestamp).toBeDefined()
    expect(kube.readSecret('app', 'p')).toBeDefined()
    const release = await api(kube, 'PATCH', url, {body: {metadata: {finalizers: null}}, contentType: 'application/merge-patch+json'})
    expect(release.status).toBe(200)
    expect(kube.readSecret('app', 'p')).toBeUndefined()
  })

  it('server-side apply creates, updates, and removes the fields the manager stopped applying', async () => {
    const url = `${NS}/ssa?fieldManager=secretctl`
    const yaml = (data: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa\n  labels: {owner: me}\ndata:\n${data}`
    const created = await api(kube, 'PATCH', url, {
      body: yaml(`  a: ${b64('1')}\n  b: ${b64('2')}\n`),
      contentType: 'application/apply-patch+yaml',
    })
    expect(created.status, created.text).toBe(201)
    const updated = await api(kube, 'PATCH', url, {body: yaml(`  a: ${b64('9')}\n`), contentType: 'application/apply-patch+yaml'})
    expect(updated.status).toBe(200)
    expect(kube.readSecretData('app', 'ssa')).toEqual({a: '9'})
    const viaStringData = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa2\nstringData:\n  a: '1'\n  b: '2'\n`
    expect(
      (await api(kube, 'PATCH', `${NS}/ssa2?fieldManager=m`, {body: viaStringData, contentType: 'application/apply-patch+yaml'})).status,
    ).toBe(201)
    const dropB = viaStringData.replace("  b: '2'\n", '')
    expect((await api(kube, 'PATCH', `${NS}/ssa2?fieldManager=m`, {body: dropB, contentType: 'application/apply-patch+yaml'})).status).toBe(
      200,
    )
    expect(kube.readSecretData('app', 'ssa2')).toEqual({a: '1'})
    const noManager = await api(kube, 'PATCH', `${NS}/ssa`, {body: yaml(''), contentType: 'application/apply-patch+yaml'})
    expect(noManager.status).toBe(422)
  })

  it('deletes: a Success Status for a Secret, preconditions, and deletecollection by selector', async () => {
    const s = kube.putSecret('app', 'gone', {stringData: {a: '1'}})
    const wrongUid = await api(kube, 'DELETE', `${NS}/gone`, {body: {preconditions: {uid: 'x'}}})
    expect(wrongUid.status).toBe(409)
    const del = await api(kube, 'DELETE', `${NS}/gone`)
    expect(del.status).toBe(200)
    expect(del.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {name: 'gone', kind: 'secrets', uid: s.metadata.uid},
    })
    expect((await api(kube, 'DELETE', `${NS}/gone`)).status).toBe(404)
    const coll = await api(kube, 'DELETE', `${NS}?labelSelector=tier%3Dweb`)
    expect(coll.body.items.map((i: any) => i.metadata.name)).toEqual(['l-a', 'l-c'])
    expect(kube.listSecretNames('app')).not.toContain('l-a')
  })

  it('manages namespaces: create (name label, Active), invalid names, protected ones, delete with contents', async () => {
    const created = await api(kube, 'POST', '/api/v1/namespaces', {body: {metadata: {name: 'team-a'}}})
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      kind: 'Namespace',
      metadata: {name: 'team-a', labels: {'kubernetes.io/metadata.name': 'team-a'}},
      spec: {finalizers: ['kubernetes']},
      status: {phase: 'Active'},
    })
    const bad = await api(kube, 'POST', '/api/v1/namespaces', {body: {metadata: {name: 'a.b'}}})
    expect(bad.status).toBe(422)
    expect(bad.body.details.causes).toEqual([
      {reason: 'FieldValueInvalid', message: 'Invalid value: "a.b": must not contain dots', field: 'metadata.name'},
    ])
    const protectedNs = await api(kube, 'DELETE', '/api/v1/namespaces/default')
    expect(protectedNs.status).toBe(403)
    expect(protectedNs.body.message).toBe('namespaces "default" is forbidden: this namespace may not be deleted')
    kube.putSecret('team-a', 's', {stringData: {a: '1'}})
    const del = await api(kube, 'DELETE', '/api/v1/namespaces/team-a')
    expect(del.status).toBe(200)
    expect(del.body.status.phase).toBe('Terminating')
    expect((await api(kube, 'GET', '/api/v1/namespaces/team-a')).status).toBe(404)
    expect(kube.readSecret('team-a', 's')).toBeUndefined()
  })

  it('watches: synthetic ADDED for the current state, then changes after a resourceVersion', async () => {
    const rv = kube.resourceVersion
    kube.putSecret('app', 'w1', {stringData: {a: '1'}, labels: {watch: 'yes'}})
    kube.putSecret('app', 'w2', {stringData: {a: '1'}})
    const controller = new AbortController()
    const res = await fetch(`${kube.url}${NS}?watch=true&resourceVersion=${rv}&labelSelector=watch`, {
      headers: {Authorization: `Bearer ${kube.adminToken}`},
      signal: controller.signal,
    })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const events: any[] = []
    let buffered = ''
    const readEvents = async (n: number) => {
      for (let i = 0; i < 50 && events.length < n; i++) {
        const {value, done} = await reader.read()
        if (done) break
        buffered += Buffer.from(value).toString('utf8')
        let nl = buffered.indexOf('\n')
        while (nl >= 0) {
          events.push(JSON.parse(buffered.slice(0, nl)))
          buffered = buffered.slice(nl + 1)
          nl = buffered.indexOf('\n')
        }
      }
    }
    await readEvents(1)
    await api(kube, 'DELETE', `${NS}/w1`)
    await readEvents(2)
    controller.abort()
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'w1'],
      ['DELETED', 'w1'],
    ])
    kube.putSecret('app', 'w3', {stringData: {a: '1'}, labels: {watch: 'yes'}})
    // No resourceVersion: the current state as ADDED events; timeoutSeconds ends the stream.
    const current = await api(kube, 'GET', `${NS}?watch=1&labelSelector=watch&timeoutSeconds=1`)
    expect(current.status).toBe(200)
    const lines = current.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'w3']])
    expect(lines[0].object.kind).toBe('Secret')
  })
})
