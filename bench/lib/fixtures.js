/**
 * Manifest directories for N secrets. Each secret has one key read from its own file
 * (`API_KEY: { fromFile: values/s-00042 }`, 32 random hex characters), all in one `secrets.yaml`
 * (N YAML documents), plus an OpenBao backend `bao` whose token is the trust-root secret
 * `bao-creds` on `default` (`fromEnv: BAO_TOKEN`), or a kubernetes backend `k8s` at the test
 * server with its token in `kube-creds` (`fromEnv: KUBE_TOKEN`).
 *
 * Files rather than environment variables: 10,000 variables would make the environment itself
 * the subject (every `process.env` lookup scans it; see docs/performance.md).
 */
import {randomBytes} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

export const secretName = (i) => `s-${String(i).padStart(5, '0')}`

/** Writes a random value for each of N secrets to DIR/values/<name>. */
export function writeValues(dir, n) {
  mkdirSync(path.join(dir, 'values'), {recursive: true})
  for (let i = 0; i < n; i++) writeFileSync(path.join(dir, 'values', secretName(i)), randomBytes(16).toString('hex'))
}

function backendYaml(baoUrl, prefix) {
  return `kind: SecretBackend
name: bao
type: openbao
description: benchmark OpenBao (test server)
config:
  url: ${baoUrl}
  tokenSecretRef: { name: bao-creds, key: token }
  mount: secret
  pathPrefix: ${prefix}
`
}

function kubeBackendYaml(url, namespace) {
  return `kind: SecretBackend
name: k8s
type: kubernetes
description: benchmark Kubernetes API (test server)
config:
  server: ${url}
  tokenSecretRef: { name: kube-creds, key: token }
  namespace: ${namespace}
`
}

function secretsYaml(n, backend, creds = ['bao-creds', 'BAO_TOKEN']) {
  const docs = [`kind: Secret\nname: ${creds[0]}\ndata:\n  token: { fromEnv: ${creds[1]} }\n`]
  const placement = backend ? `backend: ${backend}\n` : ''
  for (let i = 0; i < n; i++)
    docs.push(`kind: Secret\nname: ${secretName(i)}\n${placement}data:\n  API_KEY: { fromFile: values/${secretName(i)} }\n`)
  return docs.join('---\n')
}

/** Writes (or rewrites) the manifests of `dir`: N secrets on `backend` (undefined = the default, plaintext). */
export function writeManifests(dir, {n, baoUrl, prefix, backend}) {
  mkdirSync(dir, {recursive: true})
  writeFileSync(path.join(dir, 'backends.yaml'), backendYaml(baoUrl, prefix))
  writeFileSync(path.join(dir, 'secrets.yaml'), secretsYaml(n, backend))
}

/** The same for the kubernetes backend `k8s` (namespace NAMESPACE on the test server at URL): N secrets on `backend`. */
export function writeKubeManifests(dir, {n, url, namespace, backend}) {
  mkdirSync(dir, {recursive: true})
  writeFileSync(path.join(dir, 'backends.yaml'), kubeBackendYaml(url, namespace))
  writeFileSync(path.join(dir, 'secrets.yaml'), secretsYaml(n, backend, ['kube-creds', 'KUBE_TOKEN']))
}

/**
 * Manifests for the encrypted backend's scenarios: N secrets (values from files, as above) on an
 * encrypted backend `vault` with the default Argon2id cost, in the state database (`store: 'state'`)
 * or in a file (`store: 'file'`), or on the plaintext `default` (`store: 'plaintext'`, the baseline).
 */
export function writeEncryptedManifests(dir, {n, store}) {
  mkdirSync(dir, {recursive: true})
  const config = store === 'file' ? 'config:\n  path: store/vault.enc.json\n' : ''
  writeFileSync(path.join(dir, 'backends.yaml'), `kind: SecretBackend\nname: vault\ntype: encrypted\n${config}`)
  const placement = store === 'plaintext' ? '' : 'backend: vault\n'
  const docs = []
  for (let i = 0; i < n; i++)
    docs.push(`kind: Secret\nname: ${secretName(i)}\n${placement}data:\n  API_KEY: { fromFile: values/${secretName(i)} }\n`)
  writeFileSync(path.join(dir, 'secrets.yaml'), docs.join('---\n'))
}

/** A project of N secrets on the default (plaintext) backend and nothing else: `secrets.yaml` only. */
export function writePlaintextManifests(dir, {n}) {
  mkdirSync(dir, {recursive: true})
  const docs = []
  for (let i = 0; i < n; i++) docs.push(`kind: Secret\nname: ${secretName(i)}\ndata:\n  API_KEY: { fromFile: values/${secretName(i)} }\n`)
  writeFileSync(path.join(dir, 'secrets.yaml'), docs.join('---\n'))
}
