/**
 * The test-only control API under `/__test/` (not part of OpenBao; never logged, never subject to
 * faults), so a test can drive a standalone server from another process: the request log, fault
 * rules, seal/unseal/standby, the clock, namespaces, tokens, policies and direct KV peeks/seeds.
 * Bodies are JSON; answers are JSON.
 */
import type {HttpRequest, TransportReply} from './http-transport.js'
import type {FaultSpec} from './faults.js'
import type {OpenBaoTestServer} from './index.js'

function json(status: number, body: unknown): TransportReply {
  return {
    status,
    headers: [
      ['Content-Type', 'application/json'],
      ['Cache-Control', 'no-store'],
    ],
    body: body === undefined ? null : Buffer.from(`${JSON.stringify(body)}\n`),
  }
}

function bodyOf(req: HttpRequest): Record<string, unknown> {
  const text = req.body.toString('utf8').trim()
  if (!text) return {}
  const parsed = JSON.parse(text) as unknown
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>
  if (Array.isArray(parsed)) return {items: parsed}
  return {}
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** Answers a `/__test/…` request. */
export function handleTestControl(server: OpenBaoTestServer, req: HttpRequest): TransportReply {
  const route = req.path.replace(/^\/__test\/?/, '').replace(/\/+$/, '')
  const m = req.method
  try {
    const body = m === 'GET' || m === 'DELETE' ? {} : bodyOf(req)
    const ns = str(body.namespace) ?? req.query.get('namespace') ?? undefined
    if (route === '' || route === 'status') {
      return json(200, {url: server.url, sealed: server.isSealed(), now: server.clock.now(), rootToken: server.rootToken})
    }
    if (route === 'log') {
      if (m === 'GET') return json(200, {entries: server.log})
      if (m === 'DELETE') {
        server.clearLog()
        return json(204, undefined)
      }
    }
    if (route === 'faults') {
      if (m === 'GET') return json(200, {faults: server.faults.list()})
      if (m === 'POST' || m === 'PUT') {
        const specs = (Array.isArray(body.items) ? body.items : [body]) as FaultSpec[]
        const ids = specs.map((spec) => server.faults.add(spec).id)
        return json(200, {ids})
      }
      if (m === 'DELETE') {
        server.faults.clear()
        return json(204, undefined)
      }
    }
    const faultId = /^faults\/([0-9]+)$/.exec(route)
    if (faultId && m === 'DELETE') {
      server.faults.remove(Number(faultId[1]))
      return json(204, undefined)
    }
    if (route === 'seal' && m !== 'GET') {
      server.seal()
      return json(204, undefined)
    }
    if (route === 'unseal' && m !== 'GET') {
      server.unseal()
      return json(204, undefined)
    }
    if (route === 'standby' && m !== 'GET') {
      server.setStandby(body.standby !== false)
      return json(204, undefined)
    }
    if (route === 'clock') {
      if (m !== 'GET') {
        if (typeof body.advanceMs === 'number') server.clock.advance(body.advanceMs)
        if (typeof body.setNow === 'number') server.clock.setNow(body.setNow)
        if (typeof body.setNow === 'string') server.clock.setNow(Date.parse(body.setNow))
      }
      return json(200, {now: server.clock.now(), time: new Date(server.clock.now()).toISOString()})
    }
    if (route === 'namespaces' && m !== 'GET') {
      const created = server.createNamespace(String(body.path ?? ''))
      return json(200, created)
    }
    if (route === 'tokens' && m !== 'GET') {
      const policies = Array.isArray(body.policies) ? (body.policies as unknown[]).map(String) : []
      const created = server.createToken({
        policies,
        ttl: str(body.ttl),
        period: str(body.period),
        renewable: typeof body.renewable === 'boolean' ? body.renewable : undefined,
        namespace: ns,
      })
      return json(200, created)
    }
    const policy = /^policies\/(.+)$/.exec(route)
    if (policy && m !== 'GET') {
      server.putPolicy(policy[1]!, String(body.policy ?? ''), {namespace: ns})
      return json(204, undefined)
    }
    if (route === 'kv') {
      const mount = str(body.mount) ?? req.query.get('mount') ?? 'secret'
      const path = str(body.path) ?? req.query.get('path') ?? ''
      if (m === 'GET') {
        const version = req.query.get('version')
        const found = server.readKv(mount, path, {namespace: ns, version: version ? Number(version) : undefined})
        return found ? json(200, found) : json(404, {error: 'not found'})
      }
      const version = server.writeKv(mount, path, (body.data ?? {}) as Record<string, unknown>, {namespace: ns})
      return json(200, {version})
    }
    return json(404, {error: `unknown test-control route ${m} /__test/${route}`})
  } catch (err) {
    return json(400, {error: err instanceof Error ? err.message : String(err)})
  }
}
