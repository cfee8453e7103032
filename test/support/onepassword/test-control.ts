/**
 * The test-only control API under `/__test/` (not part of Connect; never logged, never subject
 * to faults, no token), so a test can drive a standalone server from another process: the
 * request log, fault rules, vaults, items (seed, peek, edit = new version, delete) and tokens.
 * Bodies are JSON; answers are JSON. Errors are `{"error": "…"}` with 400 or 404.
 *
 * | route | does |
 * | --- | --- |
 * | `GET /__test` | `{url, version, vaults}` |
 * | `GET`, `DELETE /__test/log` | the request log; clear it |
 * | `GET`, `POST`, `DELETE /__test/faults`, `DELETE /__test/faults/:id` | fault rules (a FaultSpec or a list) |
 * | `GET`, `POST /__test/vaults`, `DELETE /__test/vaults/:vault` | vaults (`{name, description?, type?, id?}`) |
 * | `POST /__test/vaults/:vault/items` | seed an item (an ItemSeed) |
 * | `GET`, `PATCH`, `DELETE /__test/vaults/:vault/items/:item` | peek, edit (an ItemEdit; version + 1), delete |
 * | `POST /__test/tokens`, `DELETE /__test/tokens/:token-or-id` | issue (`{vaults, name?, token?}`), revoke |
 *
 * `:vault` is an id or a name, `:item` an id or a title.
 */
import type {FaultSpec} from './faults.js'
import type {ItemEdit, ItemSeed, OnePasswordServer, TokenOptions} from './index.js'
import type {Reply} from './router.js'

export interface ControlRequest {
  method: string
  /** Path segments after `__test`. */
  segments: string[]
  query: URLSearchParams
  body: Buffer
}

function json(status: number, body?: unknown): Reply {
  return {
    status,
    headers: [['Content-Type', 'application/json']],
    body: body === undefined ? null : Buffer.from(`${JSON.stringify(body)}\n`),
  }
}

function bodyOf(req: ControlRequest): unknown {
  const text = req.body.toString('utf8').trim()
  return text ? (JSON.parse(text) as unknown) : {}
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

/** Answers a `/__test/…` request. */
export function handleTestControl(server: OnePasswordServer, req: ControlRequest): Reply {
  const [first = '', second, third, fourth, ...rest] = req.segments
  const m = req.method
  try {
    const body = m === 'GET' || m === 'DELETE' ? {} : bodyOf(req)
    if (first === '' || first === 'status') {
      return json(200, {url: server.url, vaults: server.vaults().length})
    }
    if (first === 'log' && second === undefined) {
      if (m === 'GET') return json(200, {entries: server.log})
      if (m === 'DELETE') {
        server.clearLog()
        return json(204)
      }
    }
    if (first === 'faults') {
      if (second === undefined) {
        if (m === 'GET') return json(200, {faults: server.faults.list()})
        if (m === 'POST' || m === 'PUT') {
          const specs = (Array.isArray(body) ? body : [body]) as FaultSpec[]
          return json(200, {ids: specs.map((spec) => server.faults.add(spec).id)})
        }
        if (m === 'DELETE') {
          server.faults.clear()
          return json(204)
        }
      } else if (m === 'DELETE' && /^[0-9]+$/.test(second)) {
        server.faults.remove(Number(second))
        return json(204)
      }
    }
    if (first === 'vaults' && rest.length === 0) {
      if (second === undefined) {
        if (m === 'GET') return json(200, {vaults: server.vaults()})
        if (m === 'POST') {
          const b = record(body)
          return json(200, server.createVault({...b, name: String(b.name ?? '')}))
        }
      } else if (third === undefined) {
        if (m === 'DELETE') return server.deleteVault(second) ? json(204) : json(404, {error: `no vault ${second}`})
      } else if (third === 'items') {
        if (fourth === undefined && m === 'POST') return json(200, server.createItem(second, record(body) as unknown as ItemSeed))
        if (fourth !== undefined) {
          if (m === 'GET') {
            const item = server.readItem(second, fourth)
            return item ? json(200, item) : json(404, {error: `no item ${fourth} in vault ${second}`})
          }
          if (m === 'PATCH' || m === 'PUT' || m === 'POST') return json(200, server.editItem(second, fourth, record(body) as ItemEdit))
          if (m === 'DELETE')
            return server.deleteItem(second, fourth) ? json(204) : json(404, {error: `no item ${fourth} in vault ${second}`})
        }
      }
    }
    if (first === 'tokens') {
      if (second === undefined && m === 'POST') return json(200, server.createToken(record(body) as unknown as TokenOptions))
      if (second !== undefined && third === undefined && m === 'DELETE') {
        server.revokeToken(second)
        return json(204)
      }
    }
    return json(404, {error: `unknown test-control route ${m} /__test/${req.segments.join('/')}`})
  } catch (err) {
    return json(400, {error: err instanceof Error ? err.message : String(err)})
  }
}
