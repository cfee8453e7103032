/**
 * The independent check that the test server speaks Kubernetes: real kubectl (1.32 on this
 * machine) runs against it over HTTPS with a temporary kubeconfig — namespaces, Secrets created
 * from literals and applied from a manifest (twice), get/describe/jsonpath/label selectors,
 * patches of each type, delete, and the error texts kubectl prints for 404 and 403. A canary
 * value planted in a Secret must never show up in the request log.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type KubeTestServer, startKubeServer} from '../../support/kubernetes/index.js'
import {KUBECTL, type Kubectl, kubectlFor} from './helpers.js'

const CANARY = 'canary-kube-7f3e9d21'

describe.skipIf(!KUBECTL)('Kubernetes test server: real kubectl', () => {
  let kube: KubeTestServer
  let k: Kubectl

  beforeAll(async () => {
    kube = await startKubeServer({tls: true})
    k = kubectlFor(kube)
  })
  afterAll(async () => {
    k?.cleanup()
    await kube?.close()
  })

  it('reports the server version and creates, lists and gets namespaces', async () => {
    const version = await k.run(['version', '-o', 'json'])
    expect(version.exitCode, version.stderr).toBe(0)
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toBe('v1.32.0')
    const created = await k.run(['create', 'namespace', 'staging'])
    expect(created.exitCode, created.stderr).toBe(0)
    expect(created.stdout.trim()).toBe('namespace/staging created')
    const again = await k.run(['create', 'namespace', 'staging'])
    expect(again.exitCode).toBe(1)
    expect(again.stderr.trim()).toBe('Error from server (AlreadyExists): namespaces "staging" already exists')
    const list = await k.run(['get', 'namespaces'])
    expect(list.stdout).toMatch(/^NAME\s+STATUS\s+AGE\n/)
    expect(list.stdout).toMatch(/\nstaging\s+Active\s+\d+s(\n|$)/)
    const ns = await k.run(['get', 'namespace', 'staging', '-o', 'json'])
    expect(JSON.parse(ns.stdout).metadata.labels).toEqual({'kubernetes.io/metadata.name': 'staging'})
  })

  it('creates a Secret from literals; get, describe, jsonpath and -o json read it back', async () => {
    const created = await k.run([
      '-n',
      'staging',
      'create',
      'secret',
      'generic',
      'db',
      `--from-literal=password=${CANARY}`,
      '--from-literal=user=app',
    ])
    expect(created.exitCode, created.stderr).toBe(0)
    expect(created.stdout.trim()).toBe('secret/db created')
    const table = await k.run(['-n', 'staging', 'get', 'secrets'])
    expect(table.stdout).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\ndb\s+Opaque\s+2\s+\d+s$/)
    const described = await k.run(['-n', 'staging', 'describe', 'secret', 'db'])
    expect(described.exitCode, described.stderr).toBe(0)
    expect(described.stdout).toContain('Type:  Opaque')
    expect(described.stdout).toMatch(/password:\s+\d+ bytes/)
    const jsonpath = await k.run(['-n', 'staging', 'get', 'secret', 'db', '-o', 'jsonpath={.data.password}'])
    expect(Buffer.from(jsonpath.stdout, 'base64').toString()).toBe(CANARY)
    const json = JSON.parse((await k.run(['-n', 'staging', 'get', 'secret', 'db', '-o', 'json'])).stdout)
    expect(json).toMatchObject({apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: {name: 'db', namespace: 'staging'}})
    expect(json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(json.metadata.resourceVersion).toMatch(/^\d+$/)
    expect(Object.keys(json.data).sort()).toEqual(['password', 'user'])
  })

  it('applies a manifest: created, then unchanged on the same file, then configured on a change', async () => {
    const manifest = (value: string, tier: string) =>
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: api',
        '  namespace: staging',
        `  labels: {app: mcp, tier: ${tier}}`,
        'type: Opaque',
        'data:',
        `  token: ${Buffer.from(value).toString('base64')}`,
        '',
      ].join('\n')
    const first = await k.run(['apply', '-f', '-'], {input: manifest('one', 'web')})
    expect(first.exitCode, first.stderr).toBe(0)
    expect(first.stdout.trim()).toBe('secret/api created')
    const rv = kube.readSecret('staging', 'api')!.metadata.resourceVersion
    const second = await k.run(['apply', '-f', '-'], {input: manifest('one', 'web')})
    expect(second.stdout.trim()).toBe('secret/api unchanged')
    expect(kube.readSecret('staging', 'api')!.metadata.resourceVersion).toBe(rv)
    const third = await k.run(['apply', '-f', '-'], {input: manifest('two', 'api')})
    expect(third.exitCode, third.stderr).toBe(0)
    expect(third.stdout.trim()).toBe('secret/api configured')
    expect(kube.readSecretData('staging', 'api')).toEqual({token: 'two'})
    expect(kube.readSecret('staging', 'api')!.metadata.labels).toEqual({app: 'mcp', tier: 'api'})
    expect(kube.log.filter((e) => e.verb === 'patch').map((e) => e.patchType)).toEqual(['application/strategic-merge-patch+json'])
    const fourth = await k.run(['apply', '-f', '-'], {input: manifest('two', 'api')})
    expect(fourth.stdout.trim()).toBe('secret/api unchanged')
  })

  it('selects Secrets by label (equality, inequality, set-based, existence)', async () => {
    const names = async (selector: string) => {
      const r = await k.run(['-n', 'staging', 'get', 'secrets', '-l', selector, '-o', 'json'])
      expect(r.exitCode, r.stderr).toBe(0)
      return JSON.parse(r.stdout).items.map((i: any) => i.metadata.name)
    }
    expect(await names('app=mcp')).toEqual(['api'])
    expect(await names('app!=mcp')).toEqual(['db'])
    expect(await names('tier in (api,web)')).toEqual(['api'])
    expect(await names('tier notin (api)')).toEqual(['db'])
    expect(await names('!app')).toEqual(['db'])
    expect(await names('app,tier=api')).toEqual(['api'])
  })

  it('patches with --type merge, strategic (default) and json', async () => {
    const merge = await k.run([
      '-n',
      'staging',
      'patch',
      'secret',
      'db',
      '--type',
      'merge',
      '-p',
      '{"data":{"extra":"eA=="},"metadata":{"labels":{"env":"staging"}}}',
    ])
    expect(merge.exitCode, merge.stderr).toBe(0)
    expect(merge.stdout.trim()).toBe('secret/db patched')
    const strategic = await k.run(['-n', 'staging', 'patch', 'secret', 'db', '-p', '{"data":{"extra":null}}'])
    expect(strategic.exitCode, strategic.stderr).toBe(0)
    const json = await k.run([
      '-n',
      'staging',
      'patch',
      'secret',
      'db',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/data/user","value":"cm9vdA=="}]',
    ])
    expect(json.exitCode, json.stderr).toBe(0)
    expect(kube.readSecretData('staging', 'db')).toEqual({password: CANARY, user: 'root'})
    expect(kube.readSecret('staging', 'db')!.metadata.labels).toEqual({env: 'staging'})
    const types = kube.log.filter((e) => e.verb === 'patch' && e.name === 'db').map((e) => e.patchType)
    expect(types).toEqual(['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'])
  })

  it('prints the API server texts for invalid names, bad keys and bad base64', async () => {
    const badName = await k.run(['-n', 'staging', 'create', 'secret', 'generic', 'Bad_Name', '--from-literal=a=b'])
    expect(badName.exitCode).toBe(1)
    expect(badName.stderr).toContain(
      `Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is`,
    )
    const badKey = await k.run(['-n', 'staging', 'patch', 'secret', 'db', '--type', 'merge', '-p', '{"data":{"bad key":"eA=="}}'])
    expect(badKey.exitCode).toBe(1)
    expect(badKey.stderr).toContain(
      `The Secret "db" is invalid: data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters`,
    )
    const badBase64 = await k.run(['-n', 'staging', 'patch', 'secret', 'db', '--type', 'merge', '-p', '{"data":{"k":"not base64!"}}'])
    expect(badBase64.stderr.trim()).toBe(
      'Error from server (BadRequest): Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    )
  })

  it('says NotFound for a missing Secret, exit code 1', async () => {
    const missing = await k.run(['-n', 'staging', 'get', 'secret', 'missing'])
    expect(missing.exitCode).toBe(1)
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): secrets "missing" not found')
  })

  it('prints the Forbidden text for a token without the permission, and allows what the rules grant', async () => {
    const {token} = kube.createToken({
      user: 'system:serviceaccount:ci:reader',
      rules: [{verbs: ['get', 'list'], resources: ['secrets'], namespaces: ['staging']}],
    })
    const allowed = await k.run(['-n', 'staging', 'get', 'secret', 'db', '-o', 'name'], {token})
    expect(allowed.exitCode, allowed.stderr).toBe(0)
    expect(allowed.stdout.trim()).toBe('secret/db')
    const otherNs = await k.run(['-n', 'default', 'get', 'secret', 'db'], {token})
    expect(otherNs.exitCode).toBe(1)
    expect(otherNs.stderr.trim()).toBe(
      'Error from server (Forbidden): secrets "db" is forbidden: User "system:serviceaccount:ci:reader" cannot get resource "secrets" in API group "" in the namespace "default"',
    )
    const del = await k.run(['-n', 'staging', 'delete', 'secret', 'db'], {token})
    expect(del.stderr.trim()).toBe(
      'Error from server (Forbidden): secrets "db" is forbidden: User "system:serviceaccount:ci:reader" cannot delete resource "secrets" in API group "" in the namespace "staging"',
    )
    const ns = await k.run(['get', 'namespaces'], {token})
    expect(ns.stderr.trim()).toBe(
      'Error from server (Forbidden): namespaces is forbidden: User "system:serviceaccount:ci:reader" cannot list resource "namespaces" in API group "" at the cluster scope',
    )
    const unknown = await k.run(['-n', 'staging', 'get', 'secrets'], {token: 'not-a-token'})
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain('error: You must be logged in to the server')
  })

  it('applies server-side (fields left out are removed) and replaces with optimistic concurrency', async () => {
    const manifest = (keys: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: ssa, namespace: staging}\nstringData: {${keys}}\n`
    const first = await k.run(['apply', '--server-side', '-f', '-'], {input: manifest('a: "1", b: "2"')})
    expect(first.exitCode, first.stderr).toBe(0)
    expect(first.stdout.trim()).toBe('secret/ssa serverside-applied')
    const second = await k.run(['apply', '--server-side', '-f', '-'], {input: manifest('a: "1"')})
    expect(second.exitCode, second.stderr).toBe(0)
    expect(kube.readSecretData('staging', 'ssa')).toEqual({a: '1'})
    const live = (await k.run(['-n', 'staging', 'get', 'secret', 'ssa', '-o', 'json'])).stdout
    const edited = JSON.parse(live)
    edited.data.a = Buffer.from('2').toString('base64')
    const replaced = await k.run(['replace', '-f', '-'], {input: JSON.stringify(edited)})
    expect(replaced.exitCode, replaced.stderr).toBe(0)
    expect(replaced.stdout.trim()).toBe('secret/ssa replaced')
    const stale = await k.run(['replace', '-f', '-'], {input: JSON.stringify(edited)})
    expect(stale.exitCode).toBe(1)
    expect(stale.stderr.trim()).toBe(
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on secrets "ssa": the object has been modified; please apply your changes to the latest version and try again',
    )
  })

  it('deletes a Secret and a namespace with the Secrets in it', async () => {
    const del = await k.run(['-n', 'staging', 'delete', 'secret', 'api'])
    expect(del.exitCode, del.stderr).toBe(0)
    expect(del.stdout.trim()).toBe('secret "api" deleted')
    expect(kube.readSecret('staging', 'api')).toBeUndefined()
    const ns = await k.run(['delete', 'namespace', 'staging'])
    expect(ns.exitCode, ns.stderr).toBe(0)
    expect(ns.stdout.trim()).toBe('namespace "staging" deleted')
    expect(kube.listSecretNames('staging')).toEqual([])
    const gone = await k.run(['get', 'namespace', 'staging'])
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): namespaces "staging" not found')
  })

  it('never records a token or a Secret value in the request log', () => {
    const log = JSON.stringify(kube.log)
    expect(log).not.toContain(CANARY)
    expect(log).not.toContain(Buffer.from(CANARY).toString('base64'))
    expect(log).not.toContain(kube.adminToken)
    expect(kube.log.some((e) => e.user === 'kubernetes-admin' && e.verb === 'create' && e.resource === 'secrets')).toBe(true)
    expect(kube.log.some((e) => e.user === 'system:serviceaccount:ci:reader' && e.status === 403 && e.reason === 'Forbidden')).toBe(true)
    // kubectl printed the value only where asked (jsonpath prints base64); it never printed a token.
    expect(k.transcript.join('\n')).not.toContain(kube.adminToken)
  })
})
