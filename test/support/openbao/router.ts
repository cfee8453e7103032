/**
 * From an HTTP request to OpenBao's answer, in OpenBao's order: the HTTP-level `sys/` handlers
 * (health, seal-status, seal, unseal, init, leader) and the namespace restrictions on them; the
 * logical request (method → operation, `?list=true`, PATCH's merge-patch content type, JSON or
 * form body, query fields); the sealed check; the namespace (`X-Vault-Namespace`, or a namespace
 * in front of the path); the token (`X-Vault-Token`, else `Authorization: Bearer`); the
 * existence check that makes a write `create` or `update`; the ACL and sudo checks with their two
 * different 403 bodies; then the system backend, the token store or the mounted engine.
 */
import type {RequestContext} from './context.js'
import type {OpenBaoCore} from './core.js'
import type {HttpRequest} from './http-transport.js'
import type {NamespaceState} from './namespaces.js'
import type {MountEntry} from './mounts.js'

type MountMatch = {entry: MountEntry; subPath: string}
import {
  fail,
  goStruct,
  MULTI_PERMISSION_DENIED,
  PERMISSION_DENIED,
  plain,
  SEALED,
  toHttpReply,
  type HttpReply,
  type Operation,
  type Outcome,
} from './responses.js'
import {handleSys} from './sys.js'
import {handleTokenStore, type TokenEntry} from './token-store.js'
import {uuid} from './ids.js'
import type {RequestData} from './fields.js'

/** What the router learnt about a request, for the request log. */
export interface RouteInfo {
  operation: Operation | null
  namespace: string
  logicalPath: string
  tokenAccessor: string | null
  tokenPresented: boolean
  mount: string | null
  readSecretData: boolean
  requestId: string
}

export interface RouteResult {
  reply: HttpReply
  info: RouteInfo
}

const RESTRICTED_IN_NAMESPACES = [
  'raw',
  'generate-recovery-token',
  'init',
  'seal',
  'step-down',
  'unseal',
  'health',
  'rekey-recovery-key',
  'rekey',
  'storage',
  'generate-root',
  'metrics',
  'pprof',
  'in-flight-req',
]

/** Paths that need `sudo` on top of the operation's capability (OpenBao's root paths). */
const ROOT_PATHS: RegExp[] = [
  /^sys\/auth\/.+/,
  /^sys\/audit(\/.*)?$/,
  /^sys\/raw(\/.*)?$/,
  /^sys\/rotate$/,
  /^sys\/revoke-prefix\/.*/,
  /^sys\/revoke-force\/.*/,
  /^sys\/leases\/revoke-(prefix|force)\/.*/,
  /^sys\/leases\/lookup\/.*/,
  /^sys\/config\/cors$/,
  /^sys\/config\/auditing\/.*/,
  /^sys\/plugins\/catalog\/.*/,
  /^auth\/token\/accessors\/?$/,
  /^auth\/token\/revoke-orphan/,
]

function header(req: HttpRequest, name: string): string | undefined {
  return req.headers.get(name)?.[0]
}

function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  return undefined
}

/** The token a request carries: `X-Vault-Token`, else the first `Authorization: Bearer`. */
export function requestToken(req: HttpRequest): string {
  const direct = header(req, 'x-vault-token')
  if (direct) return direct
  for (const value of req.headers.get('authorization') ?? []) {
    if (value.startsWith('Bearer ')) return value.slice(7).trim()
  }
  return ''
}

function queryData(req: HttpRequest, skip: string[] = []): RequestData {
  const data: Record<string, unknown> = {}
  for (const key of new Set(req.query.keys())) {
    if (key === 'help' || skip.includes(key)) continue
    const values = req.query.getAll(key)
    data[key] = values.length === 1 ? values[0] : values
  }
  return Object.keys(data).length ? data : null
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string | null,
  ) {
    super(message ?? '')
  }
}

function parseJsonBody(body: Buffer): RequestData {
  const text = body.toString('utf8')
  if (text.trim() === '') return null
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new BadRequest(400, `failed to parse JSON input: ${(err as Error).message}`)
  }
  if (parsed === null) return null
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'array' : typeof parsed === 'string' ? 'string' : typeof parsed === 'number' ? 'number' : 'bool'
    throw new BadRequest(400, `failed to parse JSON input: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`)
  }
  return parsed as Record<string, unknown>
}

function mediaType(contentType: string | undefined): string {
  if (!contentType || contentType.trim() === '') throw new BadRequest(400, 'mime: no media type')
  return contentType.split(';')[0]!.trim().toLowerCase()
}

/** `buildLogicalRequestNoAuth`: the operation, path and data of a request. */
function buildLogical(req: HttpRequest, path: string): {op: Operation; path: string; data: RequestData} {
  switch (req.method) {
    case 'DELETE':
      return {op: 'delete', path, data: queryData(req)}
    case 'GET': {
      const listText = req.query.get('list')
      const scanText = req.query.get('scan')
      const list = listText ? parseBool(listText) : false
      const scan = scanText ? parseBool(scanText) : false
      if (list === undefined || scan === undefined || (list && scan)) throw new BadRequest(400, null)
      if (list) return {op: 'list', path: path.endsWith('/') ? path : `${path}/`, data: queryData(req, ['list'])}
      if (scan) return {op: 'scan', path: path.endsWith('/') ? path : `${path}/`, data: queryData(req, ['scan'])}
      return {op: 'read', path, data: queryData(req)}
    }
    case 'POST':
    case 'PUT': {
      const contentType = header(req, 'content-type')
      const first = req.body.toString('utf8', 0, 512).trimStart()[0]
      if (
        contentType &&
        contentType.split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded' &&
        first !== '{' &&
        first !== '['
      ) {
        const form = new URLSearchParams(req.body.toString('utf8'))
        const data: Record<string, unknown> = {}
        for (const key of new Set(form.keys())) data[key] = form.getAll(key).join(',')
        return {op: 'update', path, data: Object.keys(data).length ? data : null}
      }
      return {op: 'update', path, data: parseJsonBody(req.body)}
    }
    case 'PATCH': {
      const type = mediaType(header(req, 'content-type'))
      if (type !== 'application/merge-patch+json') {
        throw new BadRequest(415, `PATCH requires Content-Type of application/merge-patch+json, provided ${type}`)
      }
      return {op: 'patch', path, data: parseJsonBody(req.body)}
    }
    case 'LIST':
      return {op: 'list', path: path.endsWith('/') ? path : `${path}/`, data: queryData(req)}
    case 'SCAN':
      return {op: 'scan', path: path.endsWith('/') ? path : `${path}/`, data: queryData(req)}
    case 'HEAD':
      return {op: 'header', path, data: queryData(req)}
    default:
      throw new BadRequest(405, null)
  }
}

function sealStatus(core: OpenBaoCore): Record<string, unknown> {
  const body: Record<string, unknown> = goStruct({
    type: 'shamir',
    initialized: core.initialized,
    sealed: core.sealed,
    t: core.initialized ? 1 : 0,
    n: core.initialized ? 1 : 0,
    progress: 0,
    nonce: '',
    version: core.version,
    build_date: '2025-01-01T00:00:00Z',
    migration: false,
  })
  if (!core.sealed) {
    body.cluster_name = core.clusterName
    body.cluster_id = core.clusterId
  }
  body.recovery_seal = false
  body.storage_type = 'inmem'
  return body
}

function healthOutcome(core: OpenBaoCore, req: HttpRequest): Outcome {
  const q = req.query
  let standbyOk = false
  if (q.has('standbyok')) {
    const parsed = parseBool(q.get('standbyok')!)
    if (parsed === undefined) return fail(400)
    standbyOk = parsed
  }
  const codes: Record<string, number> = {uninitcode: 501, sealedcode: 503, standbycode: 429, activecode: 200}
  for (const field of Object.keys(codes)) {
    if (!q.has(field)) continue
    const text = q.get(field)!
    if (!/^[-+]?[0-9]+$/.test(text)) return fail(400)
    codes[field] = parseInt(text, 10)
  }
  let code = codes.activecode!
  if (!core.initialized) code = codes.uninitcode!
  else if (core.sealed) code = codes.sealedcode!
  else if (core.standby && !standbyOk) code = codes.standbycode!
  const body: Record<string, unknown> = goStruct({
    initialized: core.initialized,
    sealed: core.sealed,
    standby: core.standby,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(core.clock.now() / 1000),
    version: core.version,
  })
  if (!core.sealed) {
    body.cluster_name = core.clusterName
    body.cluster_id = core.clusterId
  }
  return plain(code, body)
}

/** The ACL-relevant prefix: the request namespace's path below the token's namespace. */
function aclPrefixFor(token: TokenEntry, ns: NamespaceState, core: OpenBaoCore): string | undefined {
  const tokenNs = core.namespaces.getById(token.namespaceId)
  if (!tokenNs?.isAncestorOrSelf(ns)) return undefined
  return ns.path.slice(tokenNs.path.length)
}

export function routeRequest(core: OpenBaoCore, req: HttpRequest): RouteResult {
  const requestId = uuid()
  const token = requestToken(req)
  const nsHeader = (header(req, 'x-vault-namespace') ?? '').trim()
  const info: RouteInfo = {
    operation: null,
    namespace: nsHeader,
    logicalPath: req.path.replace(/^\/v1\//, ''),
    tokenAccessor: token ? core.tokens.raw(token)?.accessor || null : null,
    tokenPresented: token !== '',
    mount: null,
    readSecretData: false,
    requestId,
  }
  const extraHeaders: [string, string][] = [['Cache-Control', 'no-store']]
  if (nsHeader) extraHeaders.push(['X-Vault-Namespace', nsHeader])
  const finish = (op: Operation | null, outcome: Outcome): RouteResult => {
    const reply = toHttpReply(op, requestId, outcome)
    reply.headers = [...extraHeaders, ...reply.headers]
    return {reply, info}
  }

  if (nsHeader && req.path.startsWith('/v1/sys/')) {
    const rest = req.path.slice('/v1/sys/'.length)
    if (RESTRICTED_IN_NAMESPACES.some((p) => rest === p || rest.startsWith(`${p}/`)))
      return finish(null, fail(400, 'operation unavailable in namespaces'))
  }
  if (!req.path.startsWith('/v1/')) return finish(null, fail(404))
  const rawPath = req.path.slice(4)

  // Handlers OpenBao serves outside the logical layer.
  switch (rawPath) {
    case 'sys/health':
      if (req.method !== 'GET' && req.method !== 'HEAD') return finish(null, fail(405))
      info.operation = 'read'
      return finish(null, healthOutcome(core, req))
    case 'sys/seal-status':
      if (req.method !== 'GET') return finish(null, fail(405))
      info.operation = 'read'
      return finish(null, plain(200, sealStatus(core)))
    case 'sys/init': {
      if (req.method === 'GET') return finish(null, plain(200, {initialized: core.initialized}))
      if (req.method !== 'PUT' && req.method !== 'POST') return finish(null, fail(405))
      if (core.initialized) return finish(null, fail(400, 'Vault is already initialized'))
      const result = core.initialize()
      return finish(null, plain(200, goStruct({keys: result.keys, keys_base64: result.keysBase64, root_token: result.rootToken})))
    }
    case 'sys/unseal': {
      if (req.method !== 'PUT' && req.method !== 'POST') return finish(null, fail(405))
      let body: Record<string, unknown> | null
      try {
        body = parseJsonBody(req.body)
      } catch (err) {
        return finish(null, fail(400, (err as Error).message))
      }
      const find = (k: string) => Object.entries(body ?? {}).find(([key]) => key.toLowerCase() === k)?.[1]
      if (find('reset') === true) {
        if (!core.sealed) return finish(null, fail(400, 'vault is unsealed'))
        return finish(null, plain(200, sealStatus(core)))
      }
      const key = typeof find('key') === 'string' ? (find('key') as string) : ''
      if (!key) return finish(null, fail(400, "'key' must be specified in request body as JSON, or 'reset' set to true"))
      if (!core.initialized) return finish(null, fail(400, 'Vault is not initialized'))
      const asHex = /^[0-9a-fA-F]+$/.test(key) && key.length === 64 ? Buffer.from(key, 'hex') : null
      let bytes: Buffer
      if (asHex) bytes = asHex
      else {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(key)) return finish(null, fail(400, "'key' must be a valid hex or base64 string"))
        bytes = Buffer.from(key, 'base64')
      }
      if (!bytes.equals(Buffer.from(core.unsealKey, 'base64'))) return finish(null, fail(400, 'Unseal failed, invalid key'))
      core.sealed = false
      return finish(null, plain(200, sealStatus(core)))
    }
    case 'sys/seal': {
      if (req.method !== 'PUT' && req.method !== 'POST') return finish(null, fail(405))
      if (core.sealed) return finish(null, plain(204, null))
      const te = token ? core.tokens.lookup(token) : undefined
      if (!te) return finish(null, fail(403, PERMISSION_DENIED))
      const acl = core.aclFor(te, core.namespaces.getById(te.namespaceId)!)
      const res = acl.allowOperation('sys/seal', 'update')
      if (!res.allowed || !res.rootPrivs) return finish(null, fail(403, MULTI_PERMISSION_DENIED))
      core.sealed = true
      return finish(null, plain(204, null))
    }
    case 'sys/leader':
      if (req.method !== 'GET') return finish(null, fail(405))
      if (core.sealed) return finish(null, fail(503, SEALED))
      return finish(
        null,
        plain(
          200,
          goStruct({
            ha_enabled: false,
            is_self: false,
            active_time: '0001-01-01T00:00:00Z',
            leader_address: '',
            leader_cluster_address: '',
            performance_standby: false,
            performance_standby_last_remote_wal: 0,
            raft_committed_index: 0,
            raft_applied_index: 0,
          }),
        ),
      )
  }

  let logical: {op: Operation; path: string; data: RequestData}
  try {
    logical = buildLogical(req, rawPath)
  } catch (err) {
    if (err instanceof BadRequest) return finish(null, err.message ? fail(err.status, err.message) : fail(err.status))
    throw err
  }
  info.operation = logical.op
  info.logicalPath = logical.path

  if (core.sealed) return finish(logical.op, fail(503, SEALED))

  // Namespace: the header, then any namespace names at the front of the path.
  const headerNs = core.namespaces.resolve(nsHeader)
  if (!headerNs) return finish(logical.op, fail(404, 'namespace not found'))
  let ns: NamespaceState = headerNs
  let path = logical.path
  for (;;) {
    const slash = path.indexOf('/')
    if (slash <= 0) break
    const child: NamespaceState | undefined = ns.children.get(path.slice(0, slash))
    if (!child) break
    ns = child
    path = path.slice(slash + 1)
  }
  info.namespace = ns.path
  info.logicalPath = path

  // Which engine serves the path (known before the token is checked, for the request log).
  let target: {kind: 'sys'; sub: string} | {kind: 'token'; sub: string} | {kind: 'mount'; sub: string; mount: MountMatch} | {kind: 'none'}
  if (path.startsWith('sys/') || path === 'sys') target = {kind: 'sys', sub: path.slice(4)}
  else if (path.startsWith('auth/token/') || path === 'auth/token') target = {kind: 'token', sub: path.slice('auth/token/'.length)}
  else {
    const match = ns.mounts.match(path)
    target = match?.entry.engine ? {kind: 'mount', sub: match.subPath, mount: match} : {kind: 'none'}
  }
  if (target.kind === 'mount') {
    info.mount = target.mount.entry.path
    info.readSecretData = target.mount.entry.engine!.readsSecretData(logical.op, target.sub)
  }

  // Token.
  const te = token ? core.tokens.lookup(token) : undefined
  const aclPrefix = te ? aclPrefixFor(te, ns, core) : undefined
  if (!te || aclPrefix === undefined) return finish(logical.op, fail(403, PERMISSION_DENIED))
  let revokeAfterUse = false
  if (te.numUses > 0) {
    te.numUses--
    if (te.numUses === 0) {
      te.numUses = -1
      revokeAfterUse = true
    }
  }
  const tokenNs = core.namespaces.getById(te.namespaceId)!
  const acl = core.aclFor(te, tokenNs)

  try {
    // Whether the target exists decides between create and update.
    let op = logical.op
    if (op === 'update') {
      let exists: boolean | undefined
      if (target.kind === 'mount') exists = target.mount.entry.engine!.exists(target.sub)
      else if (target.kind === 'token') {
        const role = /^roles\/([\w-.]+)$/.exec(target.sub)
        if (role) exists = ns.roles.has(role[1]!)
      }
      if (exists === false) op = 'create'
    }
    info.operation = op

    const allowed = acl.allowOperation(aclPrefix + path, op)
    if (!allowed.allowed) return finish(op, fail(403, MULTI_PERMISSION_DENIED))
    if (ROOT_PATHS.some((re) => re.test(path)) && !allowed.rootPrivs) return finish(op, fail(403, MULTI_PERMISSION_DENIED))

    const ctx: RequestContext = {
      requestId,
      operation: op,
      path,
      data: logical.data,
      namespace: ns,
      token: te,
      acl,
      aclPrefix,
      isSudo: (p: string) => acl.allowOperation(aclPrefix + p, 'read').rootPrivs,
      core,
    }
    let outcome: Outcome
    switch (target.kind) {
      case 'sys':
        info.mount = 'sys/'
        outcome = handleSys(ctx, target.sub)
        break
      case 'token':
        info.mount = 'auth/token/'
        outcome = handleTokenStore(ctx, target.sub)
        break
      case 'mount': {
        const engine = target.mount.entry.engine!
        outcome = engine.handle({operation: op, subPath: target.sub, mountPath: target.mount.entry.path, data: logical.data})
        break
      }
      default: {
        const builtin = ns.mounts.match(path)
        outcome = builtin
          ? fail(404, '1 error occurred:\n\t* unsupported path\n\n')
          : fail(404, `no handler for route ${JSON.stringify(ns.path + path)}. route entry not found.`)
      }
    }
    return finish(op, outcome)
  } finally {
    if (revokeAfterUse) core.tokens.revoke(te)
  }
}
