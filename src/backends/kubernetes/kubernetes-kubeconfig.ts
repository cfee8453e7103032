/**
 * A kubeconfig read as kubectl reads it (client-go's clientcmd): `$KUBECONFIG` as a list of
 * files merged (the first file that names a cluster, user or context wins; the first
 * current-context wins), or `~/.kube/config`; a context picks a cluster and a user. What secretctl
 * takes from it: the server, the CA (`certificate-authority` file or `-data`), `tls-server-name`,
 * `insecure-skip-tls-verify`, the namespace, and the credentials: a `token`, a `tokenFile`, a
 * client certificate and key (files or `-data`), or an `exec` credential plugin (EKS, GKE, …).
 * Relative paths are relative to the kubeconfig file that holds them, as in client-go. Messages
 * name files, contexts, clusters and users: never a credential.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'

/** An `exec` credential plugin as a kubeconfig user declares it (client.authentication.k8s.io). */
export interface ExecPlugin {
  apiVersion: string
  command: string
  args: string[]
  env: Array<{name: string; value: string}>
  /** Directory of the kubeconfig that declared it: a command with a `/` is relative to it. */
  dir: string
}

/** What a context of a kubeconfig says: where the API server is, how to trust it, who to be. */
export interface KubeconfigContext {
  /** `kubeconfig FILE, context NAME`, for messages. */
  source: string
  context: string
  server: string
  ca?: string
  servername?: string
  insecureSkipTlsVerify: boolean
  namespace?: string
  token?: string
  tokenFile?: string
  cert?: string
  key?: string
  exec?: ExecPlugin
}

/** A kubeconfig that cannot be used: `what` is safe to show (file, context, cluster or user names, never a credential). */
export class KubeconfigError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'KubeconfigError'
  }
}

interface Named<T> {
  name: string
  value: T
  dir: string
}

// biome-ignore lint/suspicious/noExplicitAny: a kubeconfig's YAML, read field by field
type Doc = Record<string, any>

/** The kubeconfig files to read: the config's `kubeconfig`, else `$KUBECONFIG` (a path list), else `~/.kube/config`. */
export function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? env.USERPROFILE
  const expand = (p: string) => (p === '~' || p.startsWith('~/') ? path.join(home ?? '~', p.slice(1)) : path.resolve(p))
  if (explicit) return [expand(explicit)]
  const list = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean)
  if (list.length) return [...new Set(list.map(expand))]
  if (!home) throw new KubeconfigError('no kubeconfig: neither KUBECONFIG nor HOME is set', 'set config.kubeconfig on the backend')
  return [path.join(home, '.kube', 'config')]
}

/** Reads and merges the files, then resolves one context (the current one when `context` is undefined). */
export function readKubeconfig(files: string[], context: string | undefined): KubeconfigContext {
  const clusters = new Map<string, Named<Doc>>()
  const users = new Map<string, Named<Doc>>()
  const contexts = new Map<string, Named<Doc>>()
  let current: string | undefined
  let read = 0
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      // client-go skips a missing file in a KUBECONFIG list; one that exists but cannot be read is an error.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && files.length > 1) continue
      throw new KubeconfigError(`cannot read the kubeconfig ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
    }
    read++
    let doc: Doc
    try {
      doc = (YAML.parse(text) as Doc | null) ?? {}
    } catch {
      throw new KubeconfigError(`the kubeconfig ${file} is not valid YAML`)
    }
    const dir = path.dirname(file)
    const collect = (list: unknown, into: Map<string, Named<Doc>>, field: string) => {
      if (!Array.isArray(list)) return
      for (const entry of list as Doc[]) {
        if (typeof entry?.name !== 'string' || into.has(entry.name)) continue
        into.set(entry.name, {name: entry.name, value: (entry[field] as Doc | undefined) ?? {}, dir})
      }
    }
    collect(doc.clusters, clusters, 'cluster')
    collect(doc.users, users, 'user')
    collect(doc.contexts, contexts, 'context')
    if (current === undefined && typeof doc['current-context'] === 'string' && doc['current-context']) current = doc['current-context']
  }
  const where = files.length === 1 ? `the kubeconfig ${files[0]}` : `the kubeconfig files ${files.join(', ')}`
  if (!read) throw new KubeconfigError(`none of ${files.join(', ')} exists`)
  const name = context ?? current
  if (!name)
    throw new KubeconfigError(
      `${where} names no current-context`,
      'set config.context on the backend, or `kubectl config use-context NAME`',
    )
  const ctx = contexts.get(name)
  if (!ctx) {
    const known = [...contexts.keys()].sort()
    throw new KubeconfigError(`${where} has no context ${name}`, known.length ? `contexts there: ${known.join(', ')}` : undefined)
  }
  const clusterName = ctx.value.cluster
  const cluster = typeof clusterName === 'string' ? clusters.get(clusterName) : undefined
  if (!cluster) throw new KubeconfigError(`context ${name} in ${where} names cluster ${String(clusterName)}, which is not there`)
  const server = cluster.value.server
  if (typeof server !== 'string' || !server) throw new KubeconfigError(`cluster ${cluster.name} in ${where} has no server`)
  const userName = ctx.value.user
  const user = typeof userName === 'string' ? users.get(userName) : undefined
  if (userName && !user) throw new KubeconfigError(`context ${name} in ${where} names user ${String(userName)}, which is not there`)
  const u: Doc = user?.value ?? {}
  const c: Doc = cluster.value
  if (u['auth-provider']) {
    throw new KubeconfigError(
      `user ${user?.name} in ${where} uses an auth-provider (${String(u['auth-provider']?.name ?? 'unnamed')}), which kubectl itself no longer supports`,
      'use an exec credential plugin (e.g. gke-gcloud-auth-plugin, kubelogin) or a token',
    )
  }
  if (u.username !== undefined || u.password !== undefined) {
    throw new KubeconfigError(
      `user ${user?.name} in ${where} uses basic authentication, which secretctl does not support`,
      'use a token, a client certificate or an exec plugin',
    )
  }
  const fileIn = (dir: string, p: unknown) => (typeof p === 'string' && p ? path.resolve(dir, p) : undefined)
  return {
    source: `${where}, context ${name}`,
    context: name,
    server,
    ca: pem(
      c['certificate-authority-data'],
      fileIn(cluster.dir, c['certificate-authority']),
      `cluster ${cluster.name}'s certificate-authority`,
    ),
    servername: typeof c['tls-server-name'] === 'string' ? c['tls-server-name'] : undefined,
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    namespace: typeof ctx.value.namespace === 'string' && ctx.value.namespace ? ctx.value.namespace : undefined,
    token: typeof u.token === 'string' && u.token ? u.token : undefined,
    tokenFile: user ? fileIn(user.dir, u.tokenFile) : undefined,
    cert: user
      ? pem(u['client-certificate-data'], fileIn(user.dir, u['client-certificate']), `user ${user.name}'s client-certificate`)
      : undefined,
    key: user ? pem(u['client-key-data'], fileIn(user.dir, u['client-key']), `user ${user.name}'s client-key`) : undefined,
    exec: user && u.exec ? execPlugin(u.exec, user.dir, `user ${user.name} in ${where}`) : undefined,
  }
}

/** PEM text from `*-data` (base64) or a file. */
function pem(data: unknown, file: string | undefined, what: string): string | undefined {
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8')
  if (!file) return undefined
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new KubeconfigError(`cannot read ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
  }
}

function execPlugin(raw: Doc, dir: string, where: string): ExecPlugin {
  if (typeof raw.command !== 'string' || !raw.command) throw new KubeconfigError(`the exec plugin of ${where} has no command`)
  return {
    apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : 'client.authentication.k8s.io/v1',
    command: raw.command,
    args: Array.isArray(raw.args) ? raw.args.map(String) : [],
    env: Array.isArray(raw.env)
      ? (raw.env as Doc[]).filter((e) => typeof e?.name === 'string').map((e) => ({name: e.name as string, value: String(e.value ?? '')}))
      : [],
    dir,
  }
}
