/**
 * `secretctl render`'s refusals and outputs, without a cluster: values never to a terminal
 * without --reveal (refused before anything is read), never to a file inside the manifests
 * directory, a generated key that apply has not made yet is an error naming the key, and the
 * Secret, the pod snippet and the External Secrets resources as documented.
 */
import {describe, expect, it} from 'vitest'
import {existsSync} from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import {renderManifests, type RenderManifestsRequest} from '../../../src/operations/render-manifests.js'
import {UsageError} from '../../../src/errors.js'
import {writeTree} from '../manifests/temp-tree.js'

const VALUE = 'CANARY_render_unit_5a1f0c'
const files = {
  'b.yaml': `kind: SecretBackend
name: k8s
type: kubernetes
config: {server: 'http://127.0.0.1:9', tokenSecretRef: {name: kube-creds, key: token}, namespace: apps, nameTemplate: 'app-{{name}}'}
---
kind: SecretBackend
name: bao
type: openbao
config: {url: 'http://127.0.0.1:9', tokenSecretRef: {name: kube-creds, key: token}, pathPrefix: team}
`,
  's.yaml': `kind: Secret
name: kube-creds
data: {token: {fromEnv: T}}
---
kind: Secret
name: web
backend: k8s
data: {API_KEY: {fromEnv: V}}
---
kind: Secret
name: gen
backend: k8s
data: {SEED: {generate: {length: 16}}}
---
kind: Secret
name: vaulted
backend: bao
data: {TOKEN: {fromEnv: V}}
`,
}

function request(dir: string, extra: Partial<RenderManifestsRequest> = {}): RenderManifestsRequest {
  return {
    dir,
    env: {V: VALUE, T: 'token'},
    mode: 'manifests',
    targets: ['secret.web'],
    format: 'yaml',
    stringData: false,
    reveal: false,
    stdoutIsTerminal: false,
    ...extra,
  }
}

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(UsageError)
  return err as UsageError
}

describe('render', () => {
  it('prints the Secret apply writes, base64 or stringData', async () => {
    const dir = writeTree(files)
    const out = await renderManifests(request(dir))
    const secret = YAML.parse(out.stdout)
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {name: 'app-web', namespace: 'apps', labels: {'app.kubernetes.io/managed-by': 'secretctl', 'secretctl.dev/secret': 'web'}},
      type: 'Opaque',
      data: {API_KEY: Buffer.from(VALUE).toString('base64')},
    })
    expect(out.stdout).not.toContain(VALUE)
    const plain = YAML.parse((await renderManifests(request(dir, {stringData: true}))).stdout)
    expect(plain.stringData).toEqual({API_KEY: VALUE})
  })

  it('refuses a terminal without --reveal before reading anything, and a file inside the manifests directory', async () => {
    const dir = writeTree(files)
    const tty = await usageError(renderManifests(request(dir, {stdoutIsTerminal: true})))
    expect(tty.message).toBe('render prints secret values, and stdout is a terminal')
    expect(existsSync(path.join(dir, '.secretctl'))).toBe(false)
    expect((await renderManifests(request(dir, {stdoutIsTerminal: true, reveal: true}))).stdout).toContain('kind: Secret')
    const inside = await usageError(renderManifests(request(dir, {out: path.join(dir, 'out', 'x.yaml')})))
    expect(inside.message).toContain('is inside the manifests directory')
  })

  it('a generated key has no value before apply: the error names it', async () => {
    const dir = writeTree(files)
    const err = await usageError(renderManifests(request(dir, {targets: ['secret.gen']})))
    expect(err.message).toBe('secret gen: SEED has no value until apply makes it (generated, or placement only)')
  })

  it('the consumer snippet and External Secrets resources carry names, never values; a kind without them is named', async () => {
    const dir = writeTree(files)
    const snippet = await renderManifests(request(dir, {mode: 'consumer-snippet', targets: []}))
    expect(snippet.stdout).not.toContain(VALUE)
    expect(YAML.parseAllDocuments(snippet.stdout).map((d) => d.toJS().envFrom)).toEqual([
      [{secretRef: {name: 'app-gen'}}],
      [{secretRef: {name: 'app-web'}}],
    ])
    const eso = await renderManifests(request(dir, {mode: 'external-secrets', targets: [], format: 'json'}))
    const list = JSON.parse(eso.stdout)
    expect(list.items.map((o: {kind: string}) => o.kind)).toEqual(['SecretStore', 'ExternalSecret'])
    expect(list.items[1].spec.data).toEqual([{secretKey: 'TOKEN', remoteRef: {key: 'team/vaulted', property: 'TOKEN'}}])
    expect(eso.stdout).not.toContain(VALUE)
    const wrong = await usageError(renderManifests(request(dir, {mode: 'external-secrets', backend: 'k8s', targets: []})))
    expect(wrong.message).toBe('backend k8s is kubernetes; this rendering is for openbao backends')
  })
})
