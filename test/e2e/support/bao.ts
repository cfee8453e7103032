/**
 * The OpenBao the end-to-end suite runs against: a real OpenBao or Vault when
 * SECRETCTL_TEST_BAO_ADDR and SECRETCTL_TEST_BAO_TOKEN are set, else the project's test server
 * started in-process. Setup goes through the HTTP API either way (policies, tokens, reads as root),
 * so the same tests run on both; fault injection and the request log exist only on the test server.
 */
import {randomBytes} from 'node:crypto'
import {startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'

export interface BaoTarget {
  url: string
  rootToken: string
  /** A path prefix unique to this run, so runs against a shared real server do not collide. */
  prefix: string
  /** The in-process test server, or undefined against a real server. */
  testServer?: OpenBaoTestServer
  real: boolean
  api(method: string, path: string, body?: unknown, token?: string): Promise<{status: number; body: any}>
  putPolicy(name: string, hcl: string): Promise<void>
  createToken(policies: string[], opts?: {ttl?: string}): Promise<string>
  /** Values of a secretctl-managed secret as the server holds them (read as root), or undefined. */
  readSecret(name: string, mount?: string): Promise<Record<string, string> | undefined>
  close(): Promise<void>
}

export const REAL_BAO = !!(process.env.SECRETCTL_TEST_BAO_ADDR && process.env.SECRETCTL_TEST_BAO_TOKEN)

export function describeTarget(): string {
  return REAL_BAO
    ? `a real OpenBao/Vault at ${process.env.SECRETCTL_TEST_BAO_ADDR}`
    : 'the OpenBao test server (set SECRETCTL_TEST_BAO_ADDR and SECRETCTL_TEST_BAO_TOKEN to run against a real OpenBao or Vault)'
}

export async function startBao(): Promise<BaoTarget> {
  const testServer = REAL_BAO ? undefined : await startOpenBaoTestServer()
  const url = REAL_BAO ? process.env.SECRETCTL_TEST_BAO_ADDR!.replace(/\/$/, '') : testServer!.url
  const rootToken = REAL_BAO ? process.env.SECRETCTL_TEST_BAO_TOKEN! : testServer!.rootToken
  const prefix = `secretctl-e2e-${randomBytes(4).toString('hex')}`
  const api: BaoTarget['api'] = async (method, path, body, token = rootToken) => {
    const res = await fetch(`${url}/v1/${path}`, {
      method,
      headers: {'X-Vault-Token': token, 'Content-Type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return {status: res.status, body: text ? JSON.parse(text) : null}
  }
  return {
    url,
    rootToken,
    prefix,
    testServer,
    real: REAL_BAO,
    api,
    async putPolicy(name, hcl) {
      const r = await api('PUT', `sys/policies/acl/${name}`, {policy: hcl})
      if (r.status >= 300) throw new Error(`putPolicy ${name}: ${r.status}`)
    },
    async createToken(policies, opts = {}) {
      const r = await api('POST', 'auth/token/create', {policies, ttl: opts.ttl ?? '1h', no_default_policy: false})
      if (r.status >= 300) throw new Error(`createToken: ${r.status} ${JSON.stringify(r.body?.errors)}`)
      return r.body.auth.client_token as string
    },
    async readSecret(name, mount = 'secret') {
      const r = await api('GET', `${mount}/data/${prefix}/${name}`)
      if (r.status === 404) return undefined
      if (r.status >= 300) throw new Error(`readSecret ${name}: ${r.status}`)
      return r.body.data.data ?? undefined
    },
    async close() {
      if (REAL_BAO) {
        const list = await api('GET', `secret/metadata/${prefix}?list=true`)
        for (const key of list.body?.data?.keys ?? []) await api('DELETE', `secret/metadata/${prefix}/${key}`)
      }
      await testServer?.close()
    },
  }
}

/** The narrow policy of the mcpctl guide: KV data create/read/update and metadata list/delete under the prefix. */
export function narrowPolicy(prefix: string, mount = 'secret'): string {
  return `
path "${mount}/data/${prefix}/*" { capabilities = ["create", "read", "update"] }
path "${mount}/metadata/${prefix}/*" { capabilities = ["list", "delete"] }
path "${mount}/metadata/${prefix}" { capabilities = ["list"] }
`
}

/** What plan alone needs: metadata read and list. */
export function plannerPolicy(prefix: string, mount = 'secret'): string {
  return `
path "${mount}/metadata/${prefix}/*" { capabilities = ["read", "list"] }
path "${mount}/metadata/${prefix}" { capabilities = ["list"] }
`
}

export function baoBackend(bao: BaoTarget, opts: {name?: string; tokenSecret?: string; isDefault?: boolean} = {}): string {
  return `kind: SecretBackend
name: ${opts.name ?? 'bao'}
type: openbao
${opts.isDefault ? 'isDefault: true\n' : ''}config:
  url: ${bao.url}
  tokenSecretRef: { name: ${opts.tokenSecret ?? 'bao-creds'}, key: token }
  mount: secret
  pathPrefix: ${bao.prefix}
`
}
