/**
 * The test-only control API under `/__test/` (not part of Kubernetes; never logged, never subject
 * to faults, no token needed), so a test can drive a standalone server from another process: the
 * request log, fault rules, tokens with RBAC rules, namespaces, and Secret seeds and peeks that
 * bypass RBAC. Bodies and answers are JSON.
 */
import type {FaultSpec} from './faults.js'
import type {KubeTestServer} from './index.js'
import type {PolicyRule} from './rbac.js'

interface ControlReply {
  status: number
  body: unknown
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function strMap(v: unknown): Record<string, string> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : undefined
}

/** Answers a `/__test/…` request. */
export function handleTestControl(
  server: KubeTestServer,
  method: string,
  path: string,
  query: URLSearchParams,
  rawBody: Buffer,
): ControlReply {
  const route = path.replace(/^\/__test\/?/, '').replace(/\/+$/, '')
  try {
    const text = rawBody.toString('utf8').trim()
    const parsed = text ? (JSON.parse(text) as unknown) : {}
    const body = (Array.isArray(parsed) ? {items: parsed} : (parsed ?? {})) as Record<string, unknown>
    if (route === '' || route === 'status') return {status: 200, body: {url: server.url, resourceVersion: server.resourceVersion}}
    if (route === 'log') {
      if (method === 'GET') return {status: 200, body: {entries: server.log}}
      if (method === 'DELETE') {
        server.clearLog()
        return {status: 204, body: undefined}
      }
    }
    if (route === 'faults') {
      if (method === 'GET') return {status: 200, body: {faults: server.faults.list()}}
      if (method === 'POST' || method === 'PUT') {
        const specs = (Array.isArray(body.items) ? body.items : [body]) as FaultSpec[]
        return {status: 200, body: {ids: specs.map((spec) => server.faults.add(spec).id)}}
      }
      if (method === 'DELETE') {
        server.faults.clear()
        return {status: 204, body: undefined}
      }
    }
    const faultId = /^faults\/([0-9]+)$/.exec(route)
    if (faultId && method === 'DELETE') {
      server.faults.remove(Number(faultId[1]))
      return {status: 204, body: undefined}
    }
    if (route === 'tokens') {
      if (method === 'POST' || method === 'PUT') {
        const created = server.createToken({
          user: str(body.user) ?? '',
          groups: Array.isArray(body.groups) ? body.groups.map(String) : undefined,
          rules: (body.rules ?? []) as PolicyRule[],
          token: str(body.token),
        })
        return {status: 200, body: created}
      }
      if (method === 'DELETE') {
        const user = str(body.user) ?? query.get('user') ?? undefined
        const token = str(body.token)
        const revoked = token ? Number(server.revokeToken(token)) : user ? server.revokeUser(user) : 0
        return {status: 200, body: {revoked}}
      }
    }
    if (route === 'namespaces' && (method === 'POST' || method === 'PUT')) {
      return {status: 200, body: server.createNamespace(str(body.name) ?? '', {labels: strMap(body.labels)})}
    }
    if (route === 'secrets') {
      const namespace = str(body.namespace) ?? query.get('namespace') ?? 'default'
      const name = str(body.name) ?? query.get('name') ?? ''
      if (method === 'GET') {
        const found = server.readSecret(namespace, name)
        return found ? {status: 200, body: found} : {status: 404, body: {error: `no secret ${namespace}/${name}`}}
      }
      if (method === 'POST' || method === 'PUT') {
        const created = server.putSecret(namespace, name, {
          stringData: strMap(body.stringData),
          data: strMap(body.data),
          labels: strMap(body.labels),
          annotations: strMap(body.annotations),
          type: str(body.type),
        })
        return {status: 200, body: {resourceVersion: created.metadata.resourceVersion, uid: created.metadata.uid}}
      }
    }
    return {status: 404, body: {error: `unknown test-control route ${method} /__test/${route}`}}
  } catch (err) {
    return {status: 400, body: {error: err instanceof Error ? err.message : String(err)}}
  }
}
