/**
 * Where a kubernetes backend's API server is, how to trust it and who to be, from one of the
 * three ways the config names: a kubeconfig context (the default), the pod's service account
 * (`inCluster: true`: token, CA and namespace at the standard paths), or `server` with a token on
 * the trust root (`tokenSecretRef`). Credentials come as a provider that can be asked again after
 * a 401: a token file is read anew (service-account tokens rotate), an exec plugin is run anew.
 * Nothing here is logged, and no message carries a credential.
 */
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import type {TlsSettings} from '../http-transport.js'
import {type ExecPlugin, KubeconfigError, kubeconfigFiles, readKubeconfig} from './kubernetes-kubeconfig.js'
import type {KubernetesConfig} from './kubernetes-config.js'

/** Where a pod finds its service account (the kubelet mounts it there). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
/** Another directory holding `token`, `ca.crt` and `namespace`, for tests of the in-cluster mode. */
export const SERVICE_ACCOUNT_DIR_VARIABLE = 'SECRETCTL_KUBE_SERVICE_ACCOUNT_DIR'

/** The bearer token to send, asked before each request. */
export interface Credential {
  /** The token, or undefined when the client certificate (in the TLS settings) is the credential. */
  token(): Promise<string | undefined>
  /** After a 401: forget what was read, so the next `token()` reads it anew; false when that cannot change anything. */
  refresh(): boolean
  /** How the credential is given, for a 401 message: `the token of user admin in the kubeconfig …`. */
  describe: string
  /** What to do about a refused credential. */
  hint: string
}

export interface KubeConnection {
  server: string
  tls: TlsSettings
  credential: Credential
  /** The namespace the kubeconfig context or the pod names, if any. */
  namespace?: string
  /** `the kubeconfig FILE, context NAME` / `the pod's service account` / `server URL`, for messages. */
  source: string
}

export interface ConnectionContext {
  env: NodeJS.ProcessEnv
  readTrustRoot(ref: {name: string; key: string}): Promise<string>
}

/** The connection the config describes; a KubeconfigError says what is missing or unusable. */
export function resolveConnection(c: KubernetesConfig, ctx: ConnectionContext): KubeConnection {
  if (c.server) return serverConnection(c, ctx)
  if (c.inCluster) return inClusterConnection(ctx.env)
  return kubeconfigConnection(c, ctx.env)
}

function kubeconfigConnection(c: KubernetesConfig, env: NodeJS.ProcessEnv): KubeConnection {
  const k = readKubeconfig(kubeconfigFiles(c.kubeconfig, env), c.context)
  const tls: TlsSettings = {
    ...(k.ca ? {ca: k.ca} : {}),
    ...(k.cert && k.key ? {cert: k.cert, key: k.key} : {}),
    ...(k.servername ? {servername: k.servername} : {}),
    ...(k.insecureSkipTlsVerify ? {rejectUnauthorized: false} : {}),
  }
  const hint = `check it with \`kubectl --context ${k.context} auth whoami\`; log in again, or name another context in config.context`
  let credential: Credential
  if (k.token) credential = fixedToken(k.token, `the token in ${k.source}`, hint)
  else if (k.tokenFile) credential = tokenFile(k.tokenFile, `the token file of ${k.source}`, hint)
  else if (k.exec) credential = execCredential(k.exec, env, k.server, `the exec plugin ${k.exec.command} of ${k.source}`, hint)
  else credential = noToken(k.cert ? `the client certificate in ${k.source}` : `${k.source} (no credentials)`, hint)
  return {server: k.server, tls, credential, namespace: k.namespace, source: k.source}
}

function inClusterConnection(env: NodeJS.ProcessEnv): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT
  if (!host || !port) {
    throw new KubeconfigError(
      'inCluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: this is not a pod',
      'run secretctl in a pod, or use a kubeconfig (config.kubeconfig, config.context)',
    )
  }
  const dir = env[SERVICE_ACCOUNT_DIR_VARIABLE] || SERVICE_ACCOUNT_DIR
  const read = (file: string, optional = false) => {
    try {
      return readFileSync(path.join(dir, file), 'utf8')
    } catch (err) {
      if (optional) return undefined
      throw new KubeconfigError(
        `inCluster: cannot read ${path.join(dir, file)}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
        'the pod needs a service account token (automountServiceAccountToken: true)',
      )
    }
  }
  const ca = read('ca.crt')
  const namespace = read('namespace', true)?.trim() || undefined
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`
  const hint = "check the pod's service account and its RoleBinding (`secretctl rbac print --role applier --backend NAME`)"
  return {
    server,
    tls: {ca},
    credential: tokenFile(path.join(dir, 'token'), "the pod's service account token", hint),
    namespace,
    source: "the pod's service account",
  }
}

function serverConnection(c: KubernetesConfig, ctx: ConnectionContext): KubeConnection {
  const ref = c.tokenSecretRef
  if (!ref) throw new KubeconfigError('config.server needs config.tokenSecretRef (the token secretctl authenticates with)')
  let ca: string | undefined
  if (c.certificateAuthorityData) ca = Buffer.from(c.certificateAuthorityData, 'base64').toString('utf8')
  else if (c.certificateAuthority) {
    const home = ctx.env.HOME ?? ''
    const file = c.certificateAuthority.startsWith('~/')
      ? path.join(home, c.certificateAuthority.slice(2))
      : path.resolve(c.certificateAuthority)
    try {
      ca = readFileSync(file, 'utf8')
    } catch (err) {
      throw new KubeconfigError(`cannot read config.certificateAuthority ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
    }
  }
  const tls: TlsSettings = {
    ...(ca ? {ca} : {}),
    ...(c.tlsServerName ? {servername: c.tlsServerName} : {}),
    ...(c.insecureSkipTlsVerify ? {rejectUnauthorized: false} : {}),
  }
  let pending: Promise<string> | undefined
  const credential: Credential = {
    token: () => {
      pending ??= ctx.readTrustRoot(ref).then((t) => t.trim())
      pending.catch(() => {
        pending = undefined
      })
      return pending
    },
    refresh: () => false,
    describe: `the token in secret ${ref.name} (key ${ref.key})`,
    hint: `store a valid token under ${ref.name}.${ref.key} on the trust root, or set SECRETCTL_BACKEND_TOKEN_<NAME> for this run`,
  }
  return {server: c.server as string, tls, credential, source: `server ${c.server}`}
}

function fixedToken(token: string, describe: string, hint: string): Credential {
  return {token: async () => token, refresh: () => false, describe, hint}
}

function noToken(describe: string, hint: string): Credential {
  return {token: async () => undefined, refresh: () => false, describe, hint}
}

/** A token file, read on first use and again after a 401 (kubelet rotates projected service-account tokens). */
function tokenFile(file: string, describe: string, hint: string): Credential {
  let token: string | undefined
  return {
    token: async () => {
      if (token === undefined) {
        try {
          token = readFileSync(file, 'utf8').trim()
        } catch (err) {
          throw new KubeconfigError(`cannot read ${describe} (${file}): ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
        }
      }
      return token
    },
    refresh: () => {
      token = undefined
      return true
    },
    describe,
    hint,
  }
}

/**
 * An exec credential plugin (client.authentication.k8s.io v1/v1beta1): run with the plugin's
 * env and KUBERNETES_EXEC_INFO, its ExecCredential's `status.token` used until its
 * expirationTimestamp, or until a 401. Its output is never shown: a failure says only its exit.
 */
function execCredential(plugin: ExecPlugin, env: NodeJS.ProcessEnv, server: string, describe: string, hint: string): Credential {
  let cached: {token: string; expires: number} | undefined
  let running: Promise<string> | undefined
  const command = plugin.command.includes('/') ? path.resolve(plugin.dir, plugin.command) : plugin.command
  const run = () =>
    new Promise<string>((resolve, reject) => {
      const info = {apiVersion: plugin.apiVersion, kind: 'ExecCredential', spec: {interactive: false, cluster: {server}}}
      const childEnv = {...env, ...Object.fromEntries(plugin.env.map((e) => [e.name, e.value])), KUBERNETES_EXEC_INFO: JSON.stringify(info)}
      execFile(command, plugin.args, {env: childEnv, timeout: 60_000, maxBuffer: 1024 * 1024, windowsHide: true}, (err, stdout) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & {code?: string | number; killed?: boolean}
          const why = e.code === 'ENOENT' ? 'not found' : e.killed ? 'timed out after 60 s' : `exited with ${String(e.code ?? 'an error')}`
          return reject(
            new KubeconfigError(`${describe}: ${why}`, `run it yourself to see why: ${[plugin.command, ...plugin.args].join(' ')}`),
          )
        }
        // biome-ignore lint/suspicious/noExplicitAny: the plugin's ExecCredential JSON, read defensively
        let cred: any
        try {
          cred = JSON.parse(stdout)
        } catch {
          return reject(new KubeconfigError(`${describe} printed no ExecCredential JSON`))
        }
        const token = cred?.status?.token
        if (typeof token !== 'string' || !token) {
          const certs = cred?.status?.clientCertificateData
            ? ' (it gave a client certificate, which secretctl does not take from a plugin)'
            : ''
          return reject(new KubeconfigError(`${describe} gave no token${certs}`))
        }
        const at = Date.parse(cred.status.expirationTimestamp ?? '')
        cached = {token, expires: Number.isNaN(at) ? Number.POSITIVE_INFINITY : at}
        resolve(token)
      })
    })
  return {
    token: () => {
      if (cached && cached.expires - 10_000 > Date.now()) return Promise.resolve(cached.token)
      running ??= run().finally(() => {
        running = undefined
      })
      return running
    },
    refresh: () => {
      cached = undefined
      return true
    },
    describe,
    hint,
  }
}
