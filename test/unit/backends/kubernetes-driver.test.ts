/**
 * The kubernetes driver against the Kubernetes API test server: round trips (POST, PUT against
 * resourceVersion, DELETE with a precondition), metadata without values, listing by label,
 * ownership (a Secret secretctl did not create is never overwritten nor deleted unless adopted),
 * check-and-set conflicts, the errors in the user's terms (401, 403, 404 namespace, 422, refused
 * connections, TLS), retries (429 with Retry-After, 500, a dropped answer whose write landed),
 * and the three ways to connect (kubeconfig with TLS, exec plugin, in-cluster). Canary values are
 * searched for in every error.
 */
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {createHmac, randomBytes} from 'node:crypto'
import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import {startKubeServer, type KubeTestServer} from '../../support/kubernetes/index.js'
import {KubernetesDriver, createKubernetesDriver, type KubernetesDriverOptions} from '../../../src/backends/kubernetes/kubernetes-driver.js'
import {readKubeconfig} from '../../../src/backends/kubernetes/kubernetes-kubeconfig.js'
import {keysDigest} from '../../../src/state/keys-digest.js'
import type {DriverContext} from '../../../src/backends/driver.js'
import {failure} from './driver-assertions.js'

const FAST: KubernetesDriverOptions = {minRetryMs: 1, maxRetryMs: 5, maxRetryAfterMs: 5, timeoutMs: 3_000}
const SALT = 'test-salt'
const fingerprint = async (key: string, value: string) => createHmac('sha256', SALT).update(`${key}\0${value}`).digest('hex')
const canaries: string[] = []
const canary = (label: string) => {
  const v = `CANARY_${label}_${randomBytes(8).toString('hex')}`
  canaries.push(v)
  return v
}
function assertClean(text: string) {
  for (const c of canaries) {
    expect(text).not.toContain(c)
    expect(text).not.toContain(Buffer.from(c).toString('base64'))
  }
}

let kube: KubeTestServer
let n = 0
beforeAll(async () => {
  kube = await startKubeServer({namespaces: ['apps']})
})
afterAll(async () => kube?.close())
beforeEach(() => kube.faults.clear())

function context(
  config: Record<string, unknown>,
  token: string | (() => Promise<string>) = kube.adminToken,
  env: NodeJS.ProcessEnv = {},
  name = 'k8s',
): DriverContext {
  return {
    backend: {
      id: 1,
      name,
      type: 'kubernetes',
      description: null,
      isDefault: false,
      config: {nameTemplate: '{{name}}', type: 'Opaque', ...config},
      rotation: null,
      tokenMeta: null,
      createdAt: '',
      updatedAt: '',
    },
    state: {fingerprint} as never,
    readTrustRoot: typeof token === 'string' ? async () => token : token,
    concurrency: 8,
    env,
  }
}

/** A driver on the plain-HTTP test server with a token from the trust root, in a namespace of its own. */
function driver(opts: {token?: string; namespace?: string; config?: Record<string, unknown>; name?: string} = {}): KubernetesDriver {
  const namespace = opts.namespace ?? `ns${++n}`
  kube.createNamespace(namespace)
  const config = {server: kube.url, tokenSecretRef: {name: 'kube-creds', key: 'token'}, namespace, ...opts.config}
  return new KubernetesDriver(context(config, opts.token ?? kube.adminToken, {}, opts.name), FAST)
}

const ns = (d: KubernetesDriver) => d.namespace()

describe('kubernetes driver: Secrets', () => {
  it('is built by the registered factory with the documented capabilities', () => {
    const d = createKubernetesDriver(context({server: kube.url, tokenSecretRef: {name: 'c', key: 't'}, namespace: 'apps'}))
    expect(d.type).toBe('kubernetes')
    expect(d.capabilities).toEqual({
      readOnly: false,
      versioned: true,
      storesInState: false,
      rotatableToken: false,
      listable: true,
      marksOwnership: true,
    })
    expect((d as KubernetesDriver).refFor('github')).toBe('apps/github')
  })

  it('creates, reads, updates against resourceVersion, lists by label and deletes', async () => {
    const d = driver()
    const value = canary('roundtrip')
    expect(await d.metadata('db')).toEqual({exists: false, version: null, ref: `${ns(d)}/db`})
    expect(await d.read('db')).toBeUndefined()
    const w1 = await d.write('db', {PASSWORD: value, USER: 'app'}, {ifVersion: null})
    expect(w1.externalRef).toBe(`${ns(d)}/db`)
    expect(w1.rowData).toBeNull()
    expect(w1.version).toMatch(/^\d+$/)
    expect(kube.readSecretData(ns(d), 'db')).toEqual({PASSWORD: value, USER: 'app'})
    const stored = kube.readSecret(ns(d), 'db')!
    expect(stored.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'secretctl',
      'secretctl.dev/secret': 'db',
      'secretctl.dev/backend': 'k8s',
    })
    const digest = keysDigest({PASSWORD: await fingerprint('PASSWORD', value), USER: await fingerprint('USER', 'app')})
    expect(stored.metadata.annotations).toEqual({'secretctl.dev/address': 'secret.db', 'secretctl.dev/fingerprint': digest})
    expect(stored.type).toBe('Opaque')

    expect(await d.read('db')).toEqual({PASSWORD: value, USER: 'app'})
    expect(await d.metadata('db')).toEqual({exists: true, version: w1.version, owned: true, fingerprint: digest, ref: `${ns(d)}/db`})
    const w2 = await d.write('db', {PASSWORD: 'two'}, {ifVersion: w1.version})
    expect(Number(w2.version)).toBeGreaterThan(Number(w1.version))
    expect(kube.readSecretData(ns(d), 'db')).toEqual({PASSWORD: 'two'})
    const w3 = await d.write('db', {PASSWORD: 'three'}) // no check given: reads the version first
    expect(Number(w3.version)).toBeGreaterThan(Number(w2.version))

    await d.write('other', {K: 'v'}, {ifVersion: null})
    kube.putSecret(ns(d), 'by-hand', {stringData: {K: 'x'}})
    kube.putSecret(ns(d), 'other-backend', {
      stringData: {K: 'x'},
      labels: {'app.kubernetes.io/managed-by': 'secretctl', 'secretctl.dev/secret': 'x', 'secretctl.dev/backend': 'elsewhere'},
    })
    expect(await d.list()).toEqual(['db', 'other'])

    await d.delete('db')
    expect(kube.readSecret(ns(d), 'db')).toBeUndefined()
    await d.delete('db') // already gone: fine
    expect(await d.list()).toEqual(['other'])
  })

  it('sends the documented requests, and plan-time metadata carries no value', async () => {
    const d = driver()
    const prefix = `/api/v1/namespaces/${ns(d)}/secrets`
    kube.clearLog()
    await d.metadata('req')
    const {version} = await d.write('req', {K: 'v'}, {ifVersion: null})
    await d.metadata('req')
    await d.write('req', {K: 'w'}, {ifVersion: version})
    await d.read('req')
    await d.list()
    await d.delete('req')
    expect(kube.log.map((e) => `${e.method} ${e.path} ${e.status}${e.returnedSecretData ? ' values' : ''}`)).toEqual([
      `GET ${prefix}/req 404`,
      `POST ${prefix} 201`,
      `GET ${prefix}/req 200`,
      `PUT ${prefix}/req 200`,
      `GET ${prefix}/req 200 values`,
      `GET ${prefix} 200`,
      `DELETE ${prefix}/req 200`,
    ])
  })

  it('answers the metadata of many secrets with one listing (metadata only), or a GET each when few', async () => {
    const d = driver()
    const names = Array.from({length: 20}, (_, i) => `m${String(i).padStart(2, '0')}`)
    for (const name of names.slice(0, 10)) await d.write(name, {K: 'v'}, {ifVersion: null})
    kube.putSecret(ns(d), 'm10', {stringData: {K: 'theirs'}})
    kube.clearLog()
    const many = await d.metadataMany(names)
    expect(kube.log.map((e) => `${e.method} ${e.verb} ${e.returnedSecretData}`)).toEqual(['GET list false'])
    expect([...many.keys()].sort()).toEqual(names)
    expect(many.get('m00')).toEqual(await d.metadata('m00'))
    expect(many.get('m10')).toMatchObject({exists: true, owned: false})
    expect(many.get('m19')).toEqual({exists: false, version: null, ref: `${ns(d)}/m19`})
    // What the listing saw is remembered: a write over the foreign m10 at that version is refused.
    expect((await failure(d.write('m10', {K: 'x'}, {ifVersion: many.get('m10')!.version}))).message).toContain(
      'secretctl did not create it',
    )
    kube.clearLog()
    await d.metadataMany(['m00', 'm01'])
    expect(kube.log.map((e) => e.verb)).toEqual(['get', 'get'])
  })

  it('a stale resourceVersion is a check-and-set failure that overwrites nothing; so is a create over an existing Secret', async () => {
    const d = driver()
    const {version} = await d.write('c', {K: 'mine'}, {ifVersion: null})
    kube.putSecret(ns(d), 'c', {
      stringData: {K: 'outside'},
      labels: {'app.kubernetes.io/managed-by': 'secretctl', 'secretctl.dev/secret': 'c', 'secretctl.dev/backend': 'k8s'},
    })
    const err = await failure(d.write('c', {K: 'again'}, {ifVersion: version}))
    expect(err.casMismatch).toBe(true)
    expect(err.message).toContain(
      `Secret ${ns(d)}/c changed on the server since secretctl last wrote it (check-and-set expected resourceVersion ${version})`,
    )
    expect(kube.readSecretData(ns(d), 'c')).toEqual({K: 'outside'})
    const create = await failure(d.write('c', {K: 'again'}, {ifVersion: null}))
    expect(create.casMismatch).toBe(true)
    expect(kube.readSecretData(ns(d), 'c')).toEqual({K: 'outside'})
    // Deleted meanwhile: also a check-and-set failure, never a create.
    const current = (await d.metadata('c')).version as string
    await kube_delete(ns(d), 'c')
    const gone = await failure(d.write('c', {K: 'again'}, {ifVersion: current}))
    expect(gone.casMismatch).toBe(true)
    expect(kube.readSecret(ns(d), 'c')).toBeUndefined()
  })

  it('names Secrets by nameTemplate, with the type, labels and annotations of the backend', async () => {
    const d = driver({
      config: {nameTemplate: 'mcp-{{name}}-env', type: 'kubernetes.io/basic-auth', labels: {team: 'a'}, annotations: {note: 'b'}},
    })
    await d.write('github', {username: 'u', password: 'p'}, {ifVersion: null})
    const s = kube.readSecret(ns(d), 'mcp-github-env')!
    expect(s.type).toBe('kubernetes.io/basic-auth')
    expect(s.metadata.labels).toMatchObject({team: 'a', 'secretctl.dev/secret': 'github'})
    expect(s.metadata.annotations).toMatchObject({note: 'b', 'secretctl.dev/address': 'secret.github'})
    expect(await d.list()).toEqual(['github'])
    expect(d.refFor('github')).toBe(`${ns(d)}/mcp-github-env`)
    // A name Kubernetes would refuse is an error before any request.
    kube.clearLog()
    const err = await failure(d.metadata('My_Secret'))
    expect(err.message).toContain('"mcp-My_Secret-env" is not a valid Secret name')
    expect(kube.log).toHaveLength(0)
  })
})

async function kube_delete(namespace: string, name: string): Promise<void> {
  const res = await fetch(`${kube.url}/api/v1/namespaces/${namespace}/secrets/${name}`, {
    method: 'DELETE',
    headers: {Authorization: `Bearer ${kube.adminToken}`},
  })
  expect(res.status).toBe(200)
}

describe('kubernetes driver: ownership', () => {
  it('reports a Secret it did not create as not owned, never overwrites it unless adopted, never deletes it', async () => {
    const d = driver()
    const theirs = canary('theirs')
    kube.putSecret(ns(d), 'legacy', {stringData: {K: theirs}, labels: {app: 'web'}})
    const meta = await d.metadata('legacy')
    expect(meta).toMatchObject({exists: true, owned: false, fingerprint: null, ref: `${ns(d)}/legacy`})
    const refused = await failure(d.write('legacy', {K: 'mine'}, {ifVersion: meta.version}))
    expect(refused.message).toContain(`Secret ${ns(d)}/legacy exists and secretctl did not create it`)
    expect(refused.hint).toContain('adopt: true')
    expect(kube.readSecretData(ns(d), 'legacy')).toEqual({K: theirs})
    const notDeleted = await failure(d.delete('legacy'))
    expect(notDeleted.message).toContain('secretctl never deletes it')
    expect(kube.readSecretData(ns(d), 'legacy')).toEqual({K: theirs})
    expect(await d.list()).toEqual([])

    const adopted = await d.write('legacy', {K: 'mine'}, {ifVersion: meta.version, adopt: true})
    expect(kube.readSecret(ns(d), 'legacy')!.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'secretctl',
      'secretctl.dev/secret': 'legacy',
      'secretctl.dev/backend': 'k8s',
    })
    expect(await d.metadata('legacy')).toMatchObject({owned: true, version: adopted.version})
    expect(await d.list()).toEqual(['legacy'])
    await d.delete('legacy')
    expect(kube.readSecret(ns(d), 'legacy')).toBeUndefined()
    assertClean(`${refused.message} ${refused.hint} ${notDeleted.message}`)
  })

  it('a Secret another backend of secretctl took over (same namespace and name) is not this backend’s to delete', async () => {
    const namespace = `shared${++n}`
    const a = driver({namespace, name: 'a'})
    const b = driver({namespace, name: 'b'})
    await a.write('s', {K: 'v'}, {ifVersion: null})
    const onB = await b.metadata('s')
    expect(onB.owned).toBe(true) // secretctl's, for this secret: a move between the two needs no adopt
    await b.write('s', {K: 'v'}, {ifVersion: onB.version})
    await a.delete('s')
    expect(kube.readSecretData(namespace, 's')).toEqual({K: 'v'})
    expect(await b.list()).toEqual(['s'])
    expect(await a.list()).toEqual([])
  })
})

describe('kubernetes driver: errors in the user’s terms', () => {
  it('403 names the verb, the resource and the namespace, and is never "missing"', async () => {
    const d0 = driver()
    await d0.write('x', {K: 'v'}, {ifVersion: null})
    const {token} = kube.createToken({user: 'ci-reader', rules: [{verbs: ['list'], resources: ['secrets'], namespaces: [ns(d0)]}]})
    const d = driver({token, namespace: ns(d0)})
    const meta = await failure(d.metadata('x'))
    expect(meta.forbidden).toBe(true)
    expect(meta.status).toBe(403)
    expect(meta.message).toContain(`forbidden to get secrets in namespace ${ns(d)}`)
    expect(meta.message).toContain('User "ci-reader" cannot get resource "secrets"')
    expect(meta.hint).toContain('secretctl rbac print --role applier --backend k8s')
    const value = canary('forbidden-write')
    const write = await failure(d.write('y', {K: value}, {ifVersion: null}))
    expect(write.forbidden).toBe(true)
    expect(write.message).toContain(`forbidden to create secrets in namespace ${ns(d)}`)
    expect((await failure(d.read('x'))).forbidden).toBe(true)
    expect((await failure(d.delete('x'))).forbidden).toBe(true)
    expect(await d.list()).toEqual(['x']) // list is granted
    assertClean([meta, write].map((e) => `${e.message} ${e.hint}`).join(' '))
    expect(`${meta.message}${write.message}`).not.toContain(token)
  })

  it('401 names the credential and not its value', async () => {
    const bad = `bad-${randomBytes(8).toString('hex')}`
    const d = driver({token: bad})
    const err = await failure(d.metadata('x'))
    expect(err.status).toBe(401)
    expect(err.message).toContain(
      `the Kubernetes API server at ${kube.url} refused the token in secret kube-creds (key token) (401 Unauthorized`,
    )
    expect(err.hint).toContain('SECRETCTL_BACKEND_TOKEN_')
    expect(`${err.message}${err.hint}`).not.toContain(bad)
    expect(await d.health()).toMatchObject({ok: false})
  })

  it('a create in a namespace that does not exist says so (not "secret missing")', async () => {
    const d = new KubernetesDriver(context({server: kube.url, tokenSecretRef: {name: 'c', key: 't'}, namespace: 'nowhere'}), FAST)
    expect(await d.metadata('x')).toMatchObject({exists: false})
    const err = await failure(d.write('x', {K: 'v'}, {ifVersion: null}))
    expect(err.message).toContain(`the namespace nowhere does not exist on the Kubernetes API server at ${kube.url}`)
    expect(err.hint).toContain('kubectl create namespace nowhere')
  })

  it('422 says which field, and no value reaches the message', async () => {
    const d = driver({config: {type: 'kubernetes.io/tls'}})
    const value = canary('invalid')
    const err = await failure(d.write('cert', {'tls.crt': value}, {ifVersion: null}))
    expect(err.status).toBe(422)
    expect(err.message).toContain(`the API server refused Secret ${ns(d)}/cert as invalid (data[tls.key]: Required value)`)
    assertClean(`${err.message} ${err.hint}`)
  })

  it('a value that is not text is refused on read, naming the key only', async () => {
    const d = driver()
    kube.putSecret(ns(d), 'bin', {data: {BLOB: Buffer.from([0xff, 0xfe, 0x00]).toString('base64')}})
    const err = await failure(d.read('bin'))
    expect(err.message).toContain(`Secret ${ns(d)}/bin holds a binary value under key BLOB`)
  })

  it('connection refused names the server; health says unreachable', async () => {
    const port = await freePort()
    const d = new KubernetesDriver(
      context({server: `http://127.0.0.1:${port}`, tokenSecretRef: {name: 'c', key: 't'}, namespace: 'apps'}),
      FAST,
    )
    const err = await failure(d.metadata('x'))
    expect(err.message).toBe(`backend k8s: cannot reach the Kubernetes API server at http://127.0.0.1:${port}: ECONNREFUSED`)
    expect(await d.health()).toEqual({ok: false, detail: 'unreachable: ECONNREFUSED'})
    const value = canary('refused')
    const w = await failure(d.write('x', {K: value}, {ifVersion: null}))
    expect(w.message).toContain('ECONNREFUSED')
    assertClean(w.message)
  })

  it('health reports the server version', async () => {
    expect(await driver().health()).toEqual({ok: true, detail: 'ok (Kubernetes v1.32.0)'})
  })
})

describe('kubernetes driver: retries', () => {
  it('reads go through 429 (Retry-After) and 500/503', async () => {
    const d = driver()
    await d.write('r', {K: 'v'}, {ifVersion: null})
    const throttle = kube.faults.throttle(2, {verb: 'get', retryAfterSeconds: 1})
    expect(await d.read('r')).toEqual({K: 'v'})
    expect(throttle.fired).toBe(2)
    const fail = kube.faults.failNext(2, {verb: 'get', status: 500})
    expect((await d.metadata('r')).exists).toBe(true)
    expect(fail.fired).toBe(2)
    kube.faults.failNext(2, {verb: 'list', status: 503})
    expect(await d.list()).toEqual(['r'])
  })

  it('a throttled write is sent again; a write whose answer was lost is confirmed by its fingerprint, with no duplicate', async () => {
    const d = driver()
    kube.faults.throttle(1, {verb: 'create'})
    await d.write('t', {K: 'v'}, {ifVersion: null})
    expect(kube.readSecretData(ns(d), 't')).toEqual({K: 'v'})

    const drop = kube.faults.dropConnection({verb: 'create', stage: 'before-headers', applyRequest: true})
    const created = await d.write('lost', {K: 'first'}, {ifVersion: null})
    expect(drop.fired).toBe(1)
    expect(kube.readSecretData(ns(d), 'lost')).toEqual({K: 'first'})
    expect(created.version).toBe(kube.readSecret(ns(d), 'lost')!.metadata.resourceVersion)

    kube.faults.dropConnection({verb: 'update', stage: 'after-headers', applyRequest: true})
    const updated = await d.write('lost', {K: 'second'}, {ifVersion: created.version})
    expect(kube.readSecretData(ns(d), 'lost')).toEqual({K: 'second'})
    expect(updated.version).toBe(kube.readSecret(ns(d), 'lost')!.metadata.resourceVersion)

    // A lost answer after which someone else wrote: the check-and-set failure stands.
    kube.faults.dropConnection({verb: 'update', stage: 'before-headers', applyRequest: false})
    kube.putSecret(ns(d), 'lost', {
      stringData: {K: 'outside'},
      labels: {'app.kubernetes.io/managed-by': 'secretctl', 'secretctl.dev/secret': 'lost', 'secretctl.dev/backend': 'k8s'},
    })
    const err = await failure(d.write('lost', {K: 'third'}, {ifVersion: updated.version}))
    expect(err.casMismatch).toBe(true)
    expect(kube.readSecretData(ns(d), 'lost')).toEqual({K: 'outside'})
  })

  it('keeps at most `concurrency` requests in flight', async () => {
    const d = driver()
    await Promise.all(Array.from({length: 12}, (_, i) => d.write(`c${i}`, {K: 'v'}, {ifVersion: null})))
    kube.faults.latency(20, {verb: 'get'})
    kube.clearLog()
    await Promise.all(Array.from({length: 40}, (_, i) => d.metadata(`c${i % 12}`)))
    // Each request's handling window on the server's clock (from its start to just before its answer is
    // written, so inside the time the client had it in flight); count the most overlapping at once.
    // Not `timestamp`: whole milliseconds, which made windows that never met look overlapping.
    const spans = kube.log.map((e) => [e.startedMs, e.startedMs + e.durationMs] as const)
    const most = Math.max(...spans.map(([t]) => spans.filter(([a, b]) => a <= t && t < b).length))
    expect(most).toBeLessThanOrEqual(8)
  })
})

describe('kubernetes driver: connecting', () => {
  let tls: KubeTestServer
  let dir: string
  beforeAll(async () => {
    tls = await startKubeServer({tls: true, namespaces: ['team']})
    dir = mkdtempSync(path.join(tmpdir(), 'kube-driver-'))
  })
  afterAll(async () => tls?.close())

  it('through a kubeconfig over TLS: the CA from the file, the namespace from the context; KUBECONFIG lists are merged', async () => {
    const file = path.join(dir, 'config')
    writeFileSync(file, tls.kubeconfig({namespace: 'team', context: 'dev'}), {mode: 0o600})
    const extra = path.join(dir, 'extra')
    writeFileSync(extra, 'apiVersion: v1\nkind: Config\ncontexts: []\n')
    const d = new KubernetesDriver(context({}, 'unused', {KUBECONFIG: `${extra}${path.delimiter}${file}`, HOME: dir}), FAST)
    expect(d.namespace()).toBe('team')
    await d.write('via-kubeconfig', {K: 'v'}, {ifVersion: null})
    expect(tls.readSecretData('team', 'via-kubeconfig')).toEqual({K: 'v'})
    expect(await d.health()).toMatchObject({ok: true})
    // An explicit file and context; a context that is not there is named.
    const wrong = new KubernetesDriver(context({kubeconfig: file, context: 'prod'}, 'unused', {HOME: dir}), FAST)
    const err = await failure(wrong.metadata('x'))
    expect(err.message).toContain(`the kubeconfig ${file} has no context prod`)
    expect(err.hint).toBe('contexts there: dev')
  })

  it('verifies the server: without its CA the error is a TLS one naming the server', async () => {
    const d = new KubernetesDriver(
      context({server: tls.url, tokenSecretRef: {name: 'c', key: 't'}, namespace: 'team'}, tls.adminToken),
      FAST,
    )
    const err = await failure(d.metadata('x'))
    expect(err.message).toMatch(new RegExp(`cannot reach the Kubernetes API server at ${tls.url.replace(/[.]/g, '\\.')}: TLS: `))
    const ok = new KubernetesDriver(
      context(
        {
          server: tls.url,
          tokenSecretRef: {name: 'c', key: 't'},
          namespace: 'team',
          certificateAuthorityData: Buffer.from(tls.caCertificate!).toString('base64'),
        },
        tls.adminToken,
      ),
      FAST,
    )
    expect(await ok.metadata('x')).toMatchObject({exists: false})
  })

  it('runs an exec credential plugin and uses its token', async () => {
    const plugin = path.join(dir, 'plugin.js')
    writeFileSync(
      plugin,
      `#!/usr/bin/env node\nconst info = JSON.parse(process.env.KUBERNETES_EXEC_INFO)\nprocess.stdout.write(JSON.stringify({apiVersion: info.apiVersion, kind: 'ExecCredential', status: {token: process.env.PLUGIN_TOKEN}}))\n`,
    )
    chmodSync(plugin, 0o755)
    const file = path.join(dir, 'exec-config')
    const config = YAML.parse(tls.kubeconfig({namespace: 'team'}))
    config.users[0].user = {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: './plugin.js',
        env: [{name: 'PLUGIN_TOKEN', value: tls.adminToken}],
        interactiveMode: 'Never',
      },
    }
    const withExec = YAML.stringify(config)
    writeFileSync(file, withExec)
    const d = new KubernetesDriver(context({kubeconfig: file}, 'unused', {HOME: dir, PATH: process.env.PATH}), FAST)
    await d.write('via-exec', {K: 'v'}, {ifVersion: null})
    expect(tls.readSecretData('team', 'via-exec')).toEqual({K: 'v'})
  })

  it('in a pod: token, CA and namespace from the service account directory', async () => {
    const sa = path.join(dir, 'serviceaccount')
    const {mkdirSync} = await import('node:fs')
    mkdirSync(sa, {recursive: true})
    writeFileSync(path.join(sa, 'token'), `${tls.adminToken}\n`)
    writeFileSync(path.join(sa, 'ca.crt'), tls.caCertificate!)
    writeFileSync(path.join(sa, 'namespace'), 'team')
    const env = {KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(tls.port), SECRETCTL_KUBE_SERVICE_ACCOUNT_DIR: sa}
    const d = new KubernetesDriver(context({inCluster: true}, 'unused', env), FAST)
    expect(d.namespace()).toBe('team')
    await d.write('via-pod', {K: 'v'}, {ifVersion: null})
    expect(tls.readSecretData('team', 'via-pod')).toEqual({K: 'v'})
    const outside = new KubernetesDriver(context({inCluster: true}, 'unused', {}), FAST)
    expect((await failure(outside.metadata('x'))).message).toContain('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set')
  })

  it('reads client certificates and refuses what it does not support, naming the user', () => {
    const file = path.join(dir, 'certs')
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: ${Buffer.from('CA').toString('base64')}}}]
users:
  - {name: u, user: {client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key: key.pem}}
  - {name: basic, user: {username: a, password: b}}
contexts: [{name: c, context: {cluster: k, user: u, namespace: n}}, {name: b, context: {cluster: k, user: basic}}]
`,
    )
    writeFileSync(path.join(dir, 'key.pem'), 'KEY')
    expect(readKubeconfig([file], undefined)).toMatchObject({
      ca: 'CA',
      cert: 'CERT',
      key: 'KEY',
      namespace: 'n',
      server: 'https://127.0.0.1:1',
    })
    expect(() => readKubeconfig([file], 'b')).toThrow(/user basic in the kubeconfig .* uses basic authentication/)
  })
})

/** A port nothing listens on: bound, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as {port: number}
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}
