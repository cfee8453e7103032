/**
 * The Kubernetes cluster the end-to-end suite runs against: a real cluster when
 * SECRETCTL_TEST_KUBECONFIG names a kubeconfig (its current context; every namespace the suite
 * makes starts with a per-run prefix and is deleted at the end), else the project's API test
 * server started in-process with TLS (kubectl sends a bearer token only over HTTPS). Setup and
 * checks go through real kubectl either way, so the same tests run on both; tokens with narrow
 * RBAC, fault injection and the request log exist only on the test server.
 */
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {startKubeServer, type KubeTestServer, type PolicyRule} from '../../support/kubernetes/index.js'

export const REAL_KUBE = !!process.env.SECRETCTL_TEST_KUBECONFIG
export const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p))

export function describeKubeTarget(): string {
  return REAL_KUBE
    ? `a real cluster (SECRETCTL_TEST_KUBECONFIG=${process.env.SECRETCTL_TEST_KUBECONFIG})`
    : 'the Kubernetes API test server; the real-cluster run was skipped (set SECRETCTL_TEST_KUBECONFIG to a kubeconfig to run this suite against a cluster)'
}

export interface KubectlResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface KubeTarget {
  real: boolean
  /** The in-process test server, or undefined against a real cluster. */
  testServer?: KubeTestServer
  /** A kubeconfig file for the admin (the suite's) identity: backends name it in `config.kubeconfig`. */
  kubeconfig: string
  /** Creates a namespace unique to this run; returns its name. */
  namespace(label: string): Promise<string>
  kubectl(args: string[], opts?: {input?: string; kubeconfig?: string}): Promise<KubectlResult>
  /** A Secret as the cluster holds it (kubectl get -o json), or undefined. */
  getSecret(namespace: string, name: string): Promise<any | undefined>
  /** Its values decoded, or undefined. */
  secretData(namespace: string, name: string): Promise<Record<string, string> | undefined>
  /** Test server only: a bearer token with these RBAC rules, and a kubeconfig file for it. */
  restrictedToken(user: string, rules: PolicyRule[]): {token: string; kubeconfig: string}
  close(): Promise<void>
}

export async function startKube(): Promise<KubeTarget> {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-e2e-kube-'))
  const testServer = REAL_KUBE ? undefined : await startKubeServer({tls: true})
  const kubeconfig = REAL_KUBE ? (process.env.SECRETCTL_TEST_KUBECONFIG as string) : path.join(dir, 'admin.kubeconfig')
  if (testServer) writeFileSync(kubeconfig, testServer.kubeconfig(), {mode: 0o600})
  const prefix = `e2e-${randomBytes(3).toString('hex')}`
  const made: string[] = []
  let configs = 0

  const kubectl: KubeTarget['kubectl'] = async (args, opts = {}) => {
    if (!KUBECTL) throw new Error('kubectl is not installed')
    const r = await execa(KUBECTL, args, {
      env: {HOME: dir, KUBECONFIG: opts.kubeconfig ?? kubeconfig, KUBECACHEDIR: path.join(dir, 'cache'), PATH: process.env.PATH},
      extendEnv: false,
      input: opts.input,
      reject: false,
      timeout: 60_000,
    })
    return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }
  const getSecret: KubeTarget['getSecret'] = async (namespace, name) => {
    const r = await kubectl(['get', 'secret', name, '-n', namespace, '-o', 'json'])
    if (r.exitCode !== 0) {
      if (/NotFound/.test(r.stderr)) return undefined
      throw new Error(`kubectl get secret ${namespace}/${name}: ${r.stderr}`)
    }
    return JSON.parse(r.stdout)
  }
  return {
    real: REAL_KUBE,
    testServer,
    kubeconfig,
    async namespace(label) {
      const name = `${prefix}-${label}`
      const r = await kubectl(['create', 'namespace', name])
      if (r.exitCode !== 0) throw new Error(`kubectl create namespace ${name}: ${r.stderr}`)
      made.push(name)
      return name
    },
    kubectl,
    getSecret,
    async secretData(namespace, name) {
      const s = await getSecret(namespace, name)
      if (!s) return undefined
      return Object.fromEntries(
        Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      )
    },
    restrictedToken(user, rules) {
      if (!testServer) throw new Error('restricted tokens need the Kubernetes API test server')
      const {token} = testServer.createToken({user, rules})
      const file = path.join(dir, `restricted-${++configs}.kubeconfig`)
      writeFileSync(file, testServer.kubeconfig({token}), {mode: 0o600})
      return {token, kubeconfig: file}
    },
    async close() {
      if (REAL_KUBE) for (const ns of made) await kubectl(['delete', 'namespace', ns, '--wait=false'])
      await testServer?.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** A kubernetes backend manifest reaching the target through a kubeconfig. */
export function kubeBackend(name: string, kubeconfig: string, namespace: string, extra = ''): string {
  return `kind: SecretBackend
name: ${name}
type: kubernetes
config:
  kubeconfig: ${kubeconfig}
  namespace: ${namespace}
${extra}`
}
