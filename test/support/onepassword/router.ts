/**
 * The Connect REST API v1 (1Password/connect `docs/openapi/spec.yaml`, version 1.8.1): routes,
 * bearer-token auth, per-vault access, and the JSON each route answers with. Order of checks for
 * a vault route, as a real server answers: the token (401), the token's access to the vault —
 * a vault it was not given, existing or not, is a 403 —, write permission for a write (403),
 * then the vault (404) and the item (404). Trailing slashes are accepted (the JavaScript SDK asks
 * for `v1/vaults/` and `v1/vaults/{id}/items/`). Health, heartbeat and metrics need no token.
 */
import {compare, parseFilter} from './filter.js'
import {type ItemRecord, renderFile, renderFullItem, renderItemSummary, renderVault} from './model.js'
import {applyItemPatch} from './patch.js'
import type {RequestLogEntry} from './request-log.js'
import {ConnectError, errors} from './responses.js'
import type {ConnectStore} from './store.js'
import type {TokenEntry, TokenStore} from './tokens.js'

export interface ConnectRequest {
  method: string
  /** Decoded path segments of the URL path (`['v1', 'vaults', '…']`), trailing empty segments removed. */
  segments: string[]
  query: URLSearchParams
  authorization: string | undefined
  body: Buffer
}

export interface Reply {
  status: number
  headers: [string, string][]
  body: Buffer | null
}

/** What the request log and the activity API learn from routing. */
export interface RouteInfo {
  route: string | null
  action: RequestLogEntry['action']
  token: TokenEntry | null
  vaultId: string | null
  itemId: string | null
  itemVersion: number | null
  readsValues: boolean
}

/** One row of `GET /v1/activity` (the spec's APIRequest). */
export interface ActivityRecord {
  requestId: string
  timestamp: string
  action: 'READ' | 'CREATE' | 'UPDATE' | 'DELETE'
  result: 'SUCCESS' | 'DENY'
  actor: {id: string; account: string; jti: string; userAgent: string; requestIp: string}
  resource: {type: 'ITEM' | 'VAULT'; vault: {id: string}; item?: {id: string}; itemVersion?: number}
}

export interface ConnectContext {
  store: ConnectStore
  tokens: TokenStore
  /** Reported by `/health` and the `1Password-Connect-Version` header. */
  version: string
  /** Files larger than this are a 413 with `inline_files=true` (Connect's OP_MAX_INLINE_FILE_SIZE_KB). */
  maxInlineFileBytes: number
  activity: ActivityRecord[]
}

function json(status: number, body: unknown, extra: [string, string][] = []): Reply {
  return {status, headers: [['Content-Type', 'application/json'], ...extra], body: Buffer.from(JSON.stringify(body))}
}

function text(status: number, body: string): Reply {
  return {status, headers: [['Content-Type', 'text/plain; charset=utf-8']], body: Buffer.from(body)}
}

function parseBody(req: ConnectRequest): unknown {
  const raw = req.body.toString('utf8').trim()
  if (!raw) throw errors.badRequest('Invalid request body: expected JSON')
  try {
    return JSON.parse(raw)
  } catch {
    throw errors.badRequest('Invalid request body: expected JSON')
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function inlineFiles(query: URLSearchParams): boolean {
  return ['true', '1', 't', 'TRUE', 'True'].includes(query.get('inline_files') ?? '')
}

const WRITE_ACTION = {POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete'} as const

/** Routes one request. Never throws: every failure becomes Connect's error reply (a bug in this server, a 500). */
export function routeConnect(ctx: ConnectContext, req: ConnectRequest): {reply: Reply; info: RouteInfo} {
  const info: RouteInfo = {route: null, action: null, token: null, vaultId: null, itemId: null, itemVersion: null, readsValues: false}
  try {
    return {reply: dispatch(ctx, req, info), info}
  } catch (err) {
    if (err instanceof ConnectError) return {reply: json(err.status, err.body), info}
    // A bug in this server: answer like a failing Connect rather than crash the test run.
    return {reply: json(500, {status: 500, message: 'Internal Server Error'}), info}
  }
}

function dispatch(ctx: ConnectContext, req: ConnectRequest, info: RouteInfo): Reply {
  const s = req.segments
  const m = req.method
  const only = (...methods: string[]) => {
    if (!methods.includes(m)) throw errors.methodNotAllowed()
  }

  if (s.length === 1 && s[0] === 'heartbeat') {
    info.route = 'GET /heartbeat'
    only('GET', 'HEAD')
    return text(200, '.')
  }
  if (s.length === 1 && s[0] === 'health') {
    info.route = 'GET /health'
    only('GET', 'HEAD')
    return json(200, {
      name: '1Password Connect API',
      version: ctx.version,
      dependencies: [
        {service: 'sync', status: 'ACTIVE'},
        {service: 'sqlite', status: 'ACTIVE', message: 'Connected to./1password.sqlite'},
      ],
    })
  }
  if (s.length === 1 && s[0] === 'metrics') {
    info.route = 'GET /metrics'
    only('GET', 'HEAD')
    return text(200, metrics(ctx))
  }
  if (s[0] !== 'v1') throw errors.routeNotFound()

  if (s.length === 2 && s[1] === 'activity') {
    info.route = 'GET /v1/activity'
    only('GET')
    info.token = ctx.tokens.authenticate(req.authorization)
    return activity(ctx, req.query)
  }
  if (s[1] !== 'vaults' || s.length > 8) throw errors.routeNotFound()

  // GET /v1/vaults
  if (s.length === 2) {
    info.route = 'GET /v1/vaults'
    only('GET')
    const token = ctx.tokens.authenticate(req.authorization)
    info.token = token
    const filterText = req.query.get('filter')
    // Both SDKs filter vaults by `title`; the docs say `name`: the same attribute.
    const filter = filterText === null ? null : parseFilter(filterText, ['name', 'title'])
    const vaults = ctx.store
      .allVaults()
      .filter((v) => ctx.tokens.access(token, v.id) !== undefined)
      .filter((v) => !filter || compare(filter, v.name))
    info.action = 'READ'
    return json(
      200,
      vaults.map((v) => renderVault(v, ctx.store.itemCount(v.id))),
    )
  }

  const vaultId = s[2]!
  info.vaultId = vaultId
  const routeName = ['GET /v1/vaults/{vaultUuid}', '{M} /v1/vaults/{vaultUuid}/items', '{M} /v1/vaults/{vaultUuid}/items/{itemUuid}'][
    s.length - 3
  ]
  const isItems = s.length >= 4 && s[3] === 'items'
  if (s.length >= 4 && !isItems) throw errors.routeNotFound()
  const fileRoutes = [
    'GET /v1/vaults/{vaultUuid}/items/{itemUuid}/files',
    'GET /v1/vaults/{vaultUuid}/items/{itemUuid}/files/{fileUuid}',
    'GET /v1/vaults/{vaultUuid}/items/{itemUuid}/files/{fileUuid}/content',
  ]
  if (s.length >= 6) {
    if (s[5] !== 'files' || (s.length === 8 && s[7] !== 'content')) throw errors.routeNotFound()
    info.route = fileRoutes[s.length - 6]!
  } else {
    info.route = routeName!.replace('{M}', m)
  }

  // Which methods each route has, before anything else (a wrong method needs no token).
  if (s.length === 3 || s.length >= 6) only('GET')
  else if (s.length === 4) only('GET', 'POST')
  else only('GET', 'PUT', 'PATCH', 'DELETE')

  const token = ctx.tokens.authenticate(req.authorization)
  info.token = token
  const access = ctx.tokens.access(token, vaultId)
  const write = m === 'GET' ? undefined : WRITE_ACTION[m as keyof typeof WRITE_ACTION]
  info.action = write ? (write.toUpperCase() as RouteInfo['action']) : 'READ'
  if (!access) throw errors.noVaultAccess(vaultId)
  if (write && access !== 'write') throw errors.noPermission(write, vaultId)
  const vault = ctx.store.vault(vaultId)
  if (!vault) throw errors.vaultNotFound(vaultId)

  if (s.length === 3) return json(200, renderVault(vault, ctx.store.itemCount(vaultId)))

  if (s.length === 4) {
    if (m === 'GET') {
      const filterText = req.query.get('filter')
      const filter = filterText === null ? null : parseFilter(filterText, ['title', 'tag'])
      const items = ctx.store.itemsIn(vaultId).filter((item) => {
        if (!filter) return true
        return filter.attribute === 'tag' ? item.tags.some((t) => compare(filter, t)) : compare(filter, item.title)
      })
      return json(200, items.map(renderItemSummary))
    }
    const body = parseBody(req)
    if (!isObject(body)) throw errors.badRequest('Invalid item: expected a JSON object')
    checkVaultInBody(body, vaultId)
    info.readsValues = true
    const item = ctx.store.createItem(vaultId, body)
    return itemReply(info, item)
  }

  const itemId = s[4]!
  info.itemId = itemId
  const found = ctx.store.item(vaultId, itemId)
  if (!found) throw errors.itemNotFound(itemId)
  info.itemVersion = found.version

  if (s.length === 5) {
    if (m === 'GET') {
      info.readsValues = true
      return itemReply(info, found)
    }
    if (m === 'DELETE') {
      ctx.store.deleteItem(vaultId, itemId)
      return {status: 204, headers: [], body: null}
    }
    const body = parseBody(req)
    info.readsValues = true
    if (m === 'PUT') {
      if (!isObject(body)) throw errors.badRequest('Invalid item: expected a JSON object')
      checkVaultInBody(body, vaultId)
      if (body.id !== undefined && body.id !== itemId)
        throw errors.badRequest(`Invalid item: its id ${JSON.stringify(body.id)} is not ${itemId}`)
      return itemReply(info, ctx.store.updateItem(vaultId, itemId, body))
    }
    const patched = applyItemPatch(found, body)
    return itemReply(info, patched ? ctx.store.replaceItem(vaultId, itemId, patched) : found)
  }

  // Files.
  const inline = inlineFiles(req.query)
  if (s.length === 6) {
    info.readsValues = inline
    if (inline && found.files.some((f) => f.content.length > ctx.maxInlineFileBytes)) throw errors.fileTooLarge()
    return json(
      200,
      found.files.map((f) => renderFile(found, f, inline)),
    )
  }
  const file = found.files.find((f) => f.id === s[6])
  if (!file) throw errors.fileNotFound(s[6]!)
  if (s.length === 7) {
    info.readsValues = inline
    if (inline && file.content.length > ctx.maxInlineFileBytes) throw errors.fileTooLarge()
    return json(200, renderFile(found, file, inline))
  }
  info.readsValues = true
  return {
    status: 200,
    headers: [
      ['Content-Type', 'application/octet-stream'],
      ['Content-Disposition', `attachment; filename="${file.name.replace(/["\\\r\n]/g, '_')}"`],
    ],
    body: Buffer.from(file.content),
  }
}

function checkVaultInBody(body: Record<string, unknown>, vaultId: string): void {
  const vault = body.vault
  if (vault === undefined || vault === null) return
  if (!isObject(vault) || (vault.id !== undefined && vault.id !== vaultId)) {
    throw errors.badRequest(`Invalid item: its vault ${JSON.stringify(isObject(vault) ? vault.id : vault)} is not ${vaultId}`)
  }
}

function itemReply(info: RouteInfo, item: ItemRecord): Reply {
  info.itemId = item.id
  info.itemVersion = item.version
  return json(200, renderFullItem(item))
}

function activity(ctx: ConnectContext, query: URLSearchParams): Reply {
  const int = (name: string, fallback: number) => {
    const raw = query.get(name)
    if (raw === null) return fallback
    if (!/^[0-9]+$/.test(raw)) throw errors.badRequest(`Invalid ${name}: expected a non-negative integer`)
    return Number(raw)
  }
  const limit = int('limit', 50)
  const offset = int('offset', 0)
  const total = ctx.activity.length
  const page = ctx.activity.slice(offset, offset + limit)
  const range = page.length ? `${offset + 1}-${offset + page.length}/${total}` : `0-0/${total}`
  return json(200, page, [['Content-Range', range]])
}

function metrics(ctx: ConnectContext): string {
  return [
    '# HELP connect_test_server_requests_total Requests recorded in the activity log.',
    '# TYPE connect_test_server_requests_total counter',
    `connect_test_server_requests_total ${ctx.activity.length}`,
    '',
  ].join('\n')
}
