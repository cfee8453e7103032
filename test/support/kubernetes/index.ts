/**
 * An in-process Kubernetes API server for the core/v1 Secret and Namespace API, for secretctl's
 * `kubernetes` backend tests. Real `kubectl` (1.32) accepts it: discovery, OpenAPI v3, bearer
 * tokens, RBAC per token, Tables for `kubectl get`, list/watch with label and field selectors,
 * create/update/patch (merge, strategic merge, JSON patch, server-side apply)/delete with the
 * API server's status codes and Status texts, resourceVersion concurrency — plus fault
 * injection and a request log for assertions. Plain HTTP on 127.0.0.1.
 *
 * ```ts
 * import {startKubeServer} from '../support/kubernetes/index.js'
 *
 * const kube = await startKubeServer()                   // free port; admin token kube.adminToken
 * kube.createNamespace('staging')
 * const {token} = kube.createToken({user: 'ci', rules: [{verbs: ['get', 'list'], resources: ['secrets'], namespaces: ['staging']}]})
 * kube.putSecret('staging', 'db', {stringData: {password: 'x'}})   // seed, bypasses RBAC
 * kube.faults.throttle(2, {verb: 'create'})              // next 2 creates: 429 + Retry-After
 * kube.faults.dropConnection({verb: 'update', stage: 'before-headers'})
 * kube.log                                               // RequestLogEntry[]: method, path, verb, user, status, reason, …
 * kube.kubeconfig({token})                               // a kubeconfig file's text for kubectl
 * await kube.close()
 * ```
 *
 * Standalone: `npm run kube:dev -- --port 8443 --token T` (see cli.ts); the same controls are
 * then reachable over HTTP under `/__test/` (see test-control.ts).
 */
import http from 'node:http'
import https from 'node:https'
import type net from 'node:net'
import {randomBytes, randomUUID} from 'node:crypto'
import YAML from 'yaml'
import {FaultController, type FaultRequestInfo, type FaultPlan} from './faults.js'
import {type KubeObject, namespaceKind, secretKind} from './kinds.js'
import {checkRules, type Identity, type PolicyRule, TokenStore} from './rbac.js'
import type {RequestLogEntry} from './request-log.js'
import {type ApiReply, type ApiRequest, describeRequest, KubeApi, type RouteInfo, statusReply} from './rest.js'
import {internalError, StatusError, type Status, tooManyRequests} from './status.js'
import {ObjectStore} from './store.js'
import {handleTestControl} from './test-control.js'
import {testCertificate} from './tls.js'

export type {RequestLogEntry} from './request-log.js'
export type {FaultController, FaultSpec, FaultMatch, FaultHandle} from './faults.js'
export type {PolicyRule} from './rbac.js'
export type {KubeObject} from './kinds.js'

export interface KubeServerOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** The admin bearer token (default: random). */
  adminToken?: string
  /** The admin token's user name (default `kubernetes-admin`, as kubeadm names it). */
  adminUser?: string
  /** Namespaces to create besides `default`, `kube-system`, `kube-public` and `kube-node-lease`. */
  namespaces?: string[]
  /** Serve the `/__test/` control API (default true). */
  testControl?: boolean
  /**
   * Serve HTTPS with a self-signed certificate for 127.0.0.1 (default false: plain HTTP).
   * kubectl sends bearer tokens only over TLS, so tests that run kubectl with a token need this.
   */
  tls?: boolean
  /** The version `/version` reports (default `v1.32.0`). */
  version?: string
  /** The clock for creationTimestamp and ages (default Date.now). */
  now?: () => number
  /** Oldest log entries are dropped beyond this many (default 100000). */
  maxLogEntries?: number
}

export interface CreateTokenOptions {
  /** The user name the log and 403 messages show. */
  user: string
  groups?: string[]
  rules: PolicyRule[]
  /** The token's text (default: random). */
  token?: string
}

export interface SeedSecret {
  /** Plain-text values (stored base64 in `data`). */
  stringData?: Record<string, string>
  /** Base64 values. */
  data?: Record<string, string>
  labels?: Record<string, string>
  annotations?: Record<string, string>
  type?: string
  immutable?: boolean
}

export interface KubeTestServer {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`) */
  readonly url: string
  /** With `tls`: the server's self-signed certificate in PEM, the CA a client must trust. */
  readonly caCertificate: string | undefined
  readonly port: number
  readonly adminToken: string
  readonly adminUser: string
  /** Every API request, oldest first (a live array; see `clearLog`). */
  readonly log: RequestLogEntry[]
  readonly faults: FaultController
  /** The latest resourceVersion written. */
  readonly resourceVersion: number
  /** Number of open client connections. */
  readonly connectionCount: number
  /** Log entries of requests that read Secret values (get/list/watch of secrets). */
  secretReads(): RequestLogEntry[]
  clearLog(): void
  /** A token with RBAC rules; returns the token and its user. */
  createToken(opts: CreateTokenOptions): {token: string; user: string}
  revokeToken(token: string): boolean
  revokeUser(user: string): number
  /** Creates a namespace directly (no RBAC); returns it. An existing one is returned as is. */
  createNamespace(name: string, opts?: {labels?: Record<string, string>}): KubeObject
  /** Test seed: creates or replaces a Secret directly (validated, no RBAC, no faults, not logged). */
  putSecret(namespace: string, name: string, secret: SeedSecret): KubeObject
  /** Test peek: the stored Secret (data base64), or undefined. */
  readSecret(namespace: string, name: string): KubeObject | undefined
  /** Test peek: the Secret's values decoded as UTF-8, or undefined. */
  readSecretData(namespace: string, name: string): Record<string, string> | undefined
  /** Test peek: names of the Secrets in a namespace. */
  listSecretNames(namespace: string): string[]
  /** A kubeconfig file's text for this server (admin token by default). */
  kubeconfig(opts?: {token?: string; user?: string; namespace?: string; context?: string}): string
  close(): Promise<void>
}

const MAX_BODY = 3 * 1024 * 1024

const STATUS_TEXT: Record<number, string> = {...http.STATUS_CODES} as Record<number, string>

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
}

/** The Status a real API server would send for an injected failure with this code. */
function faultStatus(code: number, retryAfterSeconds: number | undefined): StatusError {
  if (code === 429) return tooManyRequests('Too many requests, please try again later.', retryAfterSeconds ?? 1)
  if (code === 500) return internalError('injected fault')
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `injected fault: ${code}`,
    reason: REASONS[code] ?? 'Unknown',
  }
  if (retryAfterSeconds) status.details = {retryAfterSeconds}
  status.code = code
  return new StatusError(status)
}

class TestServer implements KubeTestServer {
  readonly log: RequestLogEntry[] = []
  readonly faults = new FaultController()
  readonly store = new ObjectStore(1)
  readonly tokens = new TokenStore()
  readonly api: KubeApi
  port = 0
  private seq = 0
  private closed = false
  private nextConnectionId = 1
  private readonly connectionIds = new WeakMap<net.Socket, number>()
  private readonly sockets = new Set<net.Socket>()
  private readonly pendingSleeps = new Set<() => void>()
  private readonly watchEnds = new Set<() => void>()
  readonly http: http.Server
  readonly caCertificate: string | undefined

  constructor(
    readonly adminToken: string,
    readonly adminUser: string,
    private readonly testControl: boolean,
    private readonly maxLogEntries: number,
    private readonly now: () => number,
    version: string,
    tls: boolean,
  ) {
    const m = /^v?(\d+)\.(\d+)/.exec(version)
    this.api = new KubeApi({
      store: this.store,
      tokens: this.tokens,
      now,
      version: {major: m?.[1] ?? '1', minor: m?.[2] ?? '32', gitVersion: version},
    })
    this.tokens.add(adminToken, {user: adminUser, groups: ['kubeadm:cluster-admins', 'system:authenticated'], admin: true, rules: []})
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.onRequest(req, res)
    if (tls) {
      const material = testCertificate()
      this.caCertificate = material.cert
      this.http = https.createServer({keepAlive: true, cert: material.cert, key: material.key}, handler)
    } else {
      this.http = http.createServer({keepAlive: true}, handler)
    }
    this.http.keepAliveTimeout = 120_000
    this.http.on(tls ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      this.connectionIds.set(socket, this.nextConnectionId++)
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  get url(): string {
    return `${this.caCertificate ? 'https' : 'http'}://127.0.0.1:${this.port}`
  }
  get resourceVersion(): number {
    return this.store.resourceVersion
  }
  get connectionCount(): number {
    return this.sockets.size
  }

  secretReads(): RequestLogEntry[] {
    return this.log.filter((e) => e.readSecretData)
  }
  clearLog(): void {
    this.log.length = 0
  }

  createToken(opts: CreateTokenOptions): {token: string; user: string} {
    if (!opts.user) throw new Error('createToken: user is required')
    const identity: Identity = {
      user: opts.user,
      groups: opts.groups ?? ['system:authenticated'],
      admin: false,
      rules: checkRules(opts.rules),
    }
    if (opts.token) {
      this.tokens.add(opts.token, identity)
      return {token: opts.token, user: opts.user}
    }
    return {token: this.tokens.issue(identity), user: opts.user}
  }
  revokeToken(token: string): boolean {
    return this.tokens.revoke(token)
  }
  revokeUser(user: string): number {
    return this.tokens.revokeUser(user)
  }

  private seedTimestamp(): string {
    return new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
  }

  createNamespace(name: string, opts: {labels?: Record<string, string>} = {}): KubeObject {
    const existing = this.store.get('namespaces', '', name)
    if (existing) return namespaceKind.canonical(existing)
    const {object} = namespaceKind.decode({metadata: {name, labels: opts.labels}})
    object.metadata.uid = randomUUID()
    object.metadata.creationTimestamp = this.seedTimestamp()
    namespaceKind.prepareForCreate(object)
    const errs = namespaceKind.validateCreate(object)
    if (errs.length)
      throw new Error(`invalid namespace ${JSON.stringify(name)}: ${errs.map((e) => `${e.field}: ${e.detail ?? e.type}`).join('; ')}`)
    return this.store.put('namespaces', namespaceKind.canonical(object), 'ADDED')
  }

  putSecret(namespace: string, name: string, secret: SeedSecret): KubeObject {
    if (!this.store.get('namespaces', '', namespace)) throw new Error(`no namespace ${JSON.stringify(namespace)}`)
    const {object} = secretKind.decode({
      metadata: {name, namespace, labels: secret.labels, annotations: secret.annotations},
      data: secret.data,
      stringData: secret.stringData,
      type: secret.type,
      immutable: secret.immutable,
    })
    const old = this.store.get('secrets', namespace, name)
    object.metadata.uid = old?.metadata.uid ?? randomUUID()
    object.metadata.creationTimestamp = old?.metadata.creationTimestamp ?? this.seedTimestamp()
    const errs = secretKind.validateCreate(object)
    if (errs.length)
      throw new Error(`invalid secret ${namespace}/${name}: ${errs.map((e) => `${e.field}: ${e.detail ?? e.type}`).join('; ')}`)
    return this.store.put('secrets', secretKind.canonical(object), old ? 'MODIFIED' : 'ADDED')
  }

  readSecret(namespace: string, name: string): KubeObject | undefined {
    const obj = this.store.get('secrets', namespace, name)
    return obj ? structuredClone(secretKind.canonical(obj)) : undefined
  }

  readSecretData(namespace: string, name: string): Record<string, string> | undefined {
    const obj = this.store.get('secrets', namespace, name)
    if (!obj) return undefined
    return Object.fromEntries(
      Object.entries((obj.data as Record<string, string>) ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    )
  }

  listSecretNames(namespace: string): string[] {
    return this.store.list('secrets', namespace).map((o) => o.metadata.name ?? '')
  }

  kubeconfig(opts: {token?: string; user?: string; namespace?: string; context?: string} = {}): string {
    const context = opts.context ?? 'secretctl-test'
    const user = opts.user ?? (opts.token ? (this.tokens.lookup(opts.token)?.user ?? 'test-user') : this.adminUser)
    return YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: context,
          cluster: {
            server: this.url,
            ...(this.caCertificate ? {'certificate-authority-data': Buffer.from(this.caCertificate).toString('base64')} : {}),
          },
        },
      ],
      users: [{name: user, user: {token: opts.token ?? this.adminToken}}],
      contexts: [{name: context, context: {cluster: context, user, ...(opts.namespace ? {namespace: opts.namespace} : {})}}],
      'current-context': context,
    })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.pendingSleeps.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref()
      this.pendingSleeps.add(done)
    })
  }

  private readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (c: Buffer) => {
        size += c.length
        if (size <= MAX_BODY) chunks.push(c)
      })
      req.on('end', () => resolve(size > MAX_BODY ? 'too-large' : Buffer.concat(chunks)))
      req.on('error', reject)
    })
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now()
    const arrival = this.now()
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    let body: Buffer | 'too-large'
    try {
      body = await this.readBody(req)
    } catch {
      req.socket.destroy()
      return
    }
    if (this.testControl && (url.pathname === '/__test' || url.pathname.startsWith('/__test/'))) {
      const r = handleTestControl(this, req.method ?? 'GET', url.pathname, url.searchParams, body === 'too-large' ? Buffer.alloc(0) : body)
      const text = r.body === undefined ? '' : `${JSON.stringify(r.body)}\n`
      res.writeHead(r.status, {'Content-Type': 'application/json', 'Cache-Control': 'no-store'})
      res.end(r.status === 204 ? undefined : text)
      return
    }
    const apiReq: ApiRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: body === 'too-large' ? Buffer.alloc(0) : body,
    }
    const attrs = describeRequest(apiReq)
    const info: RouteInfo = {
      verb: attrs?.verb ?? null,
      resource: attrs?.resource ?? null,
      namespace: attrs?.namespace ?? '',
      name: attrs?.name ?? '',
      user: null,
      tokenPresented: false,
      readSecretData: attrs?.resource === 'secrets' && ['get', 'list', 'watch'].includes(attrs.verb),
      returnedSecretData: false,
    }
    const faultInfo: FaultRequestInfo = {
      method: apiReq.method,
      path: url.pathname,
      verb: info.verb,
      resource: info.resource,
      namespace: info.namespace,
      name: info.name,
    }
    const plan: FaultPlan = this.faults.evaluate(faultInfo)
    if (plan.delayMs > 0) await this.sleep(plan.delayMs)

    let reply: ApiReply | undefined
    let fault: RequestLogEntry['fault']
    let dropStage: FaultPlan['drop'] | undefined
    if (this.closed) {
      dropStage = {stage: 'before-headers', applyRequest: false}
    } else if (plan.fail) {
      fault = 'fail'
      const b = plan.fail.body
      if (b === undefined) reply = statusReply(faultStatus(plan.fail.status, plan.fail.retryAfterSeconds))
      else {
        reply = {
          status: plan.fail.status,
          headers: [['Content-Type', typeof b === 'string' ? 'text/plain; charset=utf-8' : 'application/json']],
          body: Buffer.from(typeof b === 'string' ? b : `${JSON.stringify(b)}\n`),
        }
        if (plan.fail.retryAfterSeconds) reply.headers.push(['Retry-After', String(plan.fail.retryAfterSeconds)])
      }
    } else if (plan.drop && !plan.drop.applyRequest) {
      fault = 'drop'
      dropStage = {...plan.drop, stage: 'before-headers'}
      // The request never reached the API: still record who sent it.
      this.api.handle({...apiReq, method: 'HEAD', path: '/__never__'}, info)
    } else if (body === 'too-large') {
      reply = statusReply(
        new StatusError({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `Request entity too large: limit is ${MAX_BODY}`,
          reason: 'RequestEntityTooLarge',
          code: 413,
        }),
      )
    } else {
      reply = this.api.handle(apiReq, info)
      if (plan.drop) {
        fault = 'drop'
        dropStage = plan.drop
      }
    }
    const auditId = randomUUID()
    if (reply) reply.headers.push(['Audit-Id', auditId], ['Cache-Control', 'no-cache, private'])
    const status = !reply || dropStage?.stage === 'before-headers' ? 0 : reply.status
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      timestamp: arrival,
      time: new Date(arrival).toISOString(),
      method: apiReq.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      verb: info.verb,
      resource: info.resource,
      namespace: info.namespace,
      name: info.name,
      user: info.user,
      tokenPresented: info.tokenPresented,
      status,
      readSecretData: info.readSecretData,
      returnedSecretData: info.returnedSecretData && status === 200 && !dropStage,
      delayMs: plan.delayMs,
      connectionId: this.connectionIds.get(req.socket) ?? 0,
      auditId,
      userAgent: String(req.headers['user-agent'] ?? ''),
      durationMs: 0,
      startedMs: performance.timeOrigin + started,
    }
    if (apiReq.method === 'PATCH') entry.patchType = String(req.headers['content-type'] ?? '').split(';')[0]
    if (reply && reply.status >= 400 && reply.body) {
      try {
        const parsed = JSON.parse(reply.body.toString('utf8')) as {reason?: string}
        if (parsed.reason) entry.reason = parsed.reason
      } catch {
        // not a Status body
      }
    }
    if (fault) entry.fault = fault
    entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000
    this.log.push(entry)
    if (this.log.length > this.maxLogEntries) this.log.splice(0, this.log.length - this.maxLogEntries)

    if (!reply || dropStage) {
      await this.drop(req.socket, reply, dropStage?.stage ?? 'before-headers', dropStage?.bytes)
      return
    }
    if (reply.watch) {
      this.stream(req, res, reply)
      return
    }
    res.writeHead(reply.status, groupHeaders(reply.headers))
    res.end(apiReq.method === 'HEAD' ? undefined : (reply.body ?? undefined))
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse, reply: ApiReply): void {
    res.writeHead(200, groupHeaders(reply.headers))
    res.flushHeaders()
    let stop: () => void = () => {}
    let ended = false
    const end = () => {
      if (ended) return
      ended = true
      this.watchEnds.delete(end)
      stop()
      res.end()
    }
    this.watchEnds.add(end)
    stop = reply.watch!.start((line) => {
      if (!ended) res.write(line)
    }, end)
    req.socket.on('close', end)
    if (ended) stop()
  }

  /** Cuts a reply short on purpose: nothing, the headers only, or part of the body. */
  private drop(socket: net.Socket, reply: ApiReply | undefined, stage: string, bytes: number | undefined): Promise<void> {
    if (!reply || stage === 'before-headers') {
      socket.destroy()
      return Promise.resolve()
    }
    const body = reply.body ?? Buffer.alloc(0)
    let head = `HTTP/1.1 ${reply.status} ${STATUS_TEXT[reply.status] ?? 'Status'}\r\n`
    for (const [k, v] of reply.headers) head += `${k}: ${v}\r\n`
    head += `Date: ${new Date().toUTCString()}\r\nContent-Length: ${body.length}\r\n\r\n`
    let out = Buffer.from(head, 'latin1')
    if (stage === 'partial-body') {
      const n = Math.max(0, Math.min(body.length - 1, bytes ?? Math.floor(body.length / 2)))
      out = Buffer.concat([out, body.subarray(0, n)])
    }
    return new Promise((resolve) =>
      socket.write(out, () => {
        socket.destroy()
        resolve()
      }),
    )
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const wake of [...this.pendingSleeps]) wake()
    for (const end of [...this.watchEnds]) end()
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve())
      this.http.closeAllConnections()
      for (const s of this.sockets) s.destroy()
    })
  }
}

function groupHeaders(pairs: [string, string][]): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {}
  for (const [k, v] of pairs) {
    const prev = out[k]
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v]
  }
  return out
}

/** Starts a Kubernetes API test server on 127.0.0.1 and resolves once it accepts connections. */
export async function startKubeServer(opts: KubeServerOptions = {}): Promise<KubeTestServer> {
  const server = new TestServer(
    opts.adminToken ?? `admin-${randomBytes(18).toString('base64url')}`,
    opts.adminUser ?? 'kubernetes-admin',
    opts.testControl ?? true,
    opts.maxLogEntries ?? 100_000,
    opts.now ?? Date.now,
    opts.version ?? 'v1.32.0',
    opts.tls ?? false,
  )
  for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system', ...(opts.namespaces ?? [])]) server.createNamespace(ns)
  server.port = await new Promise<number>((resolve, reject) => {
    server.http.once('error', reject)
    server.http.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.http.off('error', reject)
      const address = server.http.address()
      resolve(typeof address === 'object' && address ? address.port : (opts.port ?? 0))
    })
  })
  return server
}
