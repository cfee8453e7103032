/**
 * An in-process OpenBao (Vault KV v2 API) test server for secretctl's OpenBao driver tests.
 *
 * It speaks OpenBao's HTTP API on 127.0.0.1 — same paths, methods (including `LIST`), status
 * codes, JSON shapes and error texts (see /work/shared/OPENBAO-API.md) — with KV v2 at any mount,
 * ACL policies in HCL enforced on every request, the token store with roles and TTLs on an
 * injectable clock, mounts, health, seal/unseal and namespaces, plus fault injection and a request
 * log for assertions.
 *
 * ```ts
 * import { startOpenBaoTestServer } from '../support/openbao/index.js'
 *
 * const bao = await startOpenBaoTestServer()            // free port, dev mode: `secret/` is KV v2
 * bao.url; bao.rootToken                                // http://127.0.0.1:PORT, s.…
 * bao.putPolicy('app', 'path "secret/data/app/*" { capabilities = ["read"] }')
 * const { token, accessor } = bao.createToken({ policies: ['app'], ttl: '1h' })
 * bao.clock.advance(2 * 3600_000)                      // the token is now expired → 403
 * bao.faults.failNth(2, { method: 'GET', path: 'secret/data/*', status: 500 })
 * bao.faults.dropConnection({ path: 'secret/data/app/x', stage: 'partial-body' })
 * bao.faults.latency(50, { path: 'secret/*' }); bao.faults.sealAfter(3)
 * bao.log                                               // RequestLogEntry[]: method, path, status,
 *                                                       // tokenAccessor, readSecretData, …
 * bao.readKv('secret', 'app/db')                        // test peek, bypasses the ACL
 * await bao.close()
 * ```
 *
 * Exported API:
 * - `startOpenBaoTestServer(opts?: OpenBaoTestServerOptions): Promise<OpenBaoTestServer>`
 * - `createTestClock(opts?: { frozenAt?: number | Date }): TestClock`
 * - types `OpenBaoTestServer`, `OpenBaoTestServerOptions`, `TestClock`, `RequestLogEntry`,
 *   `FaultController`, `FaultSpec`, `FaultMatch`, `FaultHandle`, `KvPeek`.
 *
 * Standalone: `npm run openbao:dev -- --port 8200 --root-token T` (see cli.ts); the same controls
 * are then available over HTTP under `/__test/` (see test-control.ts).
 */
import {createTestClock, type TestClock} from './clock.js'
import {OpenBaoCore} from './core.js'
import {parseDurationSeconds} from './durations.js'
import {FaultController, type FaultRequestInfo} from './faults.js'
import {HttpTransport, type HttpRequest, type TransportReply} from './http-transport.js'
import {KvV1Engine} from './kv-v1.js'
import {KvV2Engine, type KvPeek} from './kv-v2.js'
import type {NamespaceState} from './namespaces.js'
import type {RequestLogEntry} from './request-log.js'
import {routeRequest, type RouteInfo} from './router.js'
import {handleTestControl} from './test-control.js'
import {sanitizePolicies, SYSTEM_TTL_SECONDS, type TokenEntry} from './token-store.js'

export {createTestClock, type TestClock} from './clock.js'
export type {RequestLogEntry} from './request-log.js'
export type {FaultController, FaultSpec, FaultMatch, FaultHandle, HoldHandle} from './faults.js'
export type {KvPeek} from './kv-v2.js'

export interface OpenBaoTestServerOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** The root token's id (default: a random `s.…`). */
  rootToken?: string
  /** Dev mode's `secret/` KV v2 mount (default true); false starts with no KV mount, like a non-dev server. */
  devMounts?: boolean
  /** The clock (default: following the wall clock, movable with advance/setNow). */
  clock?: TestClock
  /** Whether the server is initialised (default true). An uninitialised server is sealed and has no root token until `PUT sys/init`. */
  initialized?: boolean
  /** Start sealed (default false). */
  sealed?: boolean
  /** Serve the `/__test/` control API (default true). */
  testControl?: boolean
  /** Version reported by sys/health and seal-status (default `2.2.0`). */
  version?: string
  /** Oldest log entries are dropped beyond this many (default 100000). */
  maxLogEntries?: number
}

export interface CreateTokenOptions {
  policies: string[]
  /** e.g. `1h`; default: the system default (768h). */
  ttl?: string
  /** Makes a periodic token, e.g. `24h`. */
  period?: string
  explicitMaxTtl?: string
  renewable?: boolean
  /** Leave out the `default` policy. */
  noDefaultPolicy?: boolean
  numUses?: number
  meta?: Record<string, string>
  displayName?: string
  /** Namespace path to create the token in (default root). */
  namespace?: string
}

export interface NamespaceOption {
  /** Namespace path (default: the root namespace). */
  namespace?: string
}

export interface OpenBaoTestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  readonly rootToken: string
  /** The unseal key (base64) for `PUT /v1/sys/unseal`. */
  readonly unsealKey: string
  readonly clock: TestClock
  /** Every request to `/v1/…`, oldest first (a live array; see `clearLog`). */
  readonly log: RequestLogEntry[]
  readonly faults: FaultController
  /** Log entries of requests that read secret values (KV data reads). */
  secretReads(): RequestLogEntry[]
  clearLog(): void
  seal(): void
  unseal(): void
  isSealed(): boolean
  /** Makes sys/health report a standby node (429). */
  setStandby(standby: boolean): void
  createToken(opts: CreateTokenOptions): {token: string; accessor: string}
  revokeToken(token: string): void
  putPolicy(name: string, hcl: string, opts?: NamespaceOption): void
  deletePolicy(name: string, opts?: NamespaceOption): void
  createNamespace(path: string): {id: string; path: string}
  /** Enables a KV mount (version 2 by default). */
  enableKv(mount: string, opts?: NamespaceOption & {version?: 1 | 2}): void
  /** Test seed: writes a new version directly (no ACL, no CAS); returns the version. */
  writeKv(mount: string, path: string, data: Record<string, unknown>, opts?: NamespaceOption): number
  /** Test peek: the latest (or given) version of a key, bypassing the ACL; undefined when absent. */
  readKv(mount: string, path: string, opts?: NamespaceOption & {version?: number}): KvPeek | undefined
  /** Number of open client connections. */
  readonly connectionCount: number
  close(): Promise<void>
}

class TestServer implements OpenBaoTestServer {
  readonly log: RequestLogEntry[] = []
  readonly faults = new FaultController()
  port = 0
  private seq = 0
  /** One counter for arrivals and completions: the log's `arrivalTick`/`doneTick`. */
  private tick = 0
  private closed = false
  private readonly pendingSleeps = new Set<() => void>()
  readonly transport: HttpTransport

  constructor(
    readonly core: OpenBaoCore,
    private readonly testControl: boolean,
    private readonly maxLogEntries: number,
  ) {
    this.transport = new HttpTransport((req) => this.handle(req))
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }
  get rootToken(): string {
    return this.core.rootToken
  }
  get unsealKey(): string {
    return this.core.unsealKey
  }
  get clock(): TestClock {
    return this.core.clock
  }
  get connectionCount(): number {
    return this.transport.connectionCount
  }

  secretReads(): RequestLogEntry[] {
    return this.log.filter((e) => e.readSecretData)
  }
  clearLog(): void {
    this.log.length = 0
  }
  seal(): void {
    if (this.core.initialized) this.core.sealed = true
  }
  unseal(): void {
    if (this.core.initialized) this.core.sealed = false
  }
  isSealed(): boolean {
    return this.core.sealed
  }
  setStandby(standby: boolean): void {
    this.core.standby = standby
  }

  private namespace(path: string | undefined): NamespaceState {
    const ns = this.core.namespaces.resolve(path ?? '')
    if (!ns) throw new Error(`namespace not found: ${path}`)
    return ns
  }

  createToken(opts: CreateTokenOptions): {token: string; accessor: string} {
    const ns = this.namespace(opts.namespace)
    const nowMs = this.core.clock.now()
    const policies = sanitizePolicies(opts.policies, !opts.noDefaultPolicy)
    const period = opts.period ? parseDurationSeconds(opts.period) : 0
    const explicitMaxTtl = opts.explicitMaxTtl ? parseDurationSeconds(opts.explicitMaxTtl) : 0
    let ttl = period > 0 ? period : opts.ttl ? parseDurationSeconds(opts.ttl) : policies.includes('root') ? 0 : SYSTEM_TTL_SECONDS
    if (explicitMaxTtl > 0 && (ttl === 0 || ttl > explicitMaxTtl)) ttl = explicitMaxTtl
    const te: TokenEntry = {
      id: '',
      accessor: '',
      namespaceId: ns.id,
      policies,
      parent: '',
      path: 'auth/token/create',
      meta: opts.meta ? {...opts.meta} : null,
      displayName: opts.displayName ? `token-${opts.displayName}` : 'token',
      numUses: opts.numUses ?? 0,
      creationTime: Math.floor(nowMs / 1000),
      creationTtl: ttl,
      ttl,
      explicitMaxTtl,
      period,
      role: '',
      type: 'service',
      renewable: ttl > 0 && opts.renewable !== false,
      issueTimeMs: nowMs,
      expireTimeMs: ttl > 0 ? nowMs + ttl * 1000 : 0,
      lastRenewalMs: 0,
      revoked: false,
    }
    this.core.tokens.store(te)
    return {token: te.id, accessor: te.accessor}
  }

  revokeToken(token: string): void {
    const te = this.core.tokens.raw(token)
    if (te) this.core.tokens.revoke(te)
  }

  putPolicy(name: string, hcl: string, opts: NamespaceOption = {}): void {
    const problem = this.namespace(opts.namespace).policies.set(name, hcl)
    if (problem) throw new Error(problem)
  }

  deletePolicy(name: string, opts: NamespaceOption = {}): void {
    const problem = this.namespace(opts.namespace).policies.delete(name)
    if (problem) throw new Error(problem)
  }

  createNamespace(path: string): {id: string; path: string} {
    const ns = this.core.namespaces.create(path)
    return {id: ns.id, path: ns.path}
  }

  enableKv(mount: string, opts: NamespaceOption & {version?: 1 | 2} = {}): void {
    this.namespace(opts.namespace).mounts.enable(mount, 'kv', {options: {version: String(opts.version ?? 2)}})
  }

  private engine(mount: string, ns: string | undefined): KvV2Engine | KvV1Engine {
    const entry = this.namespace(ns).mounts.get(mount)
    if (!entry || !(entry.engine instanceof KvV2Engine || entry.engine instanceof KvV1Engine)) throw new Error(`no KV mount at ${mount}`)
    return entry.engine
  }

  writeKv(mount: string, path: string, data: Record<string, unknown>, opts: NamespaceOption = {}): number {
    const engine = this.engine(mount, opts.namespace)
    if (engine instanceof KvV2Engine) return engine.seed(path, data)
    engine.handle({operation: 'update', subPath: path, mountPath: mount, data})
    return 0
  }

  readKv(mount: string, path: string, opts: NamespaceOption & {version?: number} = {}): KvPeek | undefined {
    const engine = this.engine(mount, opts.namespace)
    if (engine instanceof KvV2Engine) return engine.peek(path, opts.version)
    const data = engine.peek(path)
    return data ? {data, version: 0, deleted: false, destroyed: false, customMetadata: null} : undefined
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

  private async handle(req: HttpRequest): Promise<TransportReply> {
    if (req.path === '/__test' || req.path.startsWith('/__test/')) {
      if (this.testControl) return handleTestControl(this, req)
    }
    const started = performance.now()
    const arrivalTick = ++this.tick
    const arrival = this.core.clock.now()
    const isList =
      req.method === 'LIST' || (req.method === 'GET' && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(req.query.get('list') ?? ''))
    let faultPath = req.path.replace(/^\/v1\//, '')
    if (isList && !faultPath.endsWith('/')) faultPath += '/'
    const faultInfo: FaultRequestInfo = {
      method: req.method,
      path: faultPath,
      isList,
      namespace: req.headers.get('x-vault-namespace')?.[0] ?? '',
    }
    const plan = this.faults.evaluate(faultInfo)
    const verdict = plan.hold ? await plan.hold : 'go'
    if (plan.delayMs > 0) await this.sleep(plan.delayMs)

    let reply: TransportReply
    let info: RouteInfo | undefined
    let fault: RequestLogEntry['fault']
    if (this.closed) {
      reply = {status: 503, headers: [], body: null, drop: {stage: 'before-headers'}}
    } else if (verdict === 'drop') {
      fault = 'drop'
      reply = {status: 0, headers: [], body: null, drop: {stage: 'before-headers'}}
    } else if (plan.fail) {
      fault = 'fail'
      const body = plan.fail.body
      const text = body === null ? null : typeof body === 'string' ? body : `${JSON.stringify(body)}\n`
      reply = {
        status: plan.fail.status,
        headers: [
          ['Cache-Control', 'no-store'],
          ['Content-Type', 'application/json'],
        ],
        body: text === null ? null : Buffer.from(text),
      }
    } else if (plan.drop && !plan.drop.applyRequest) {
      fault = 'drop'
      reply = {status: 0, headers: [], body: null, drop: {stage: 'before-headers'}}
    } else {
      const routed = routeRequest(this.core, req)
      reply = routed.reply
      info = routed.info
      if (plan.drop) {
        fault = 'drop'
        reply.drop = plan.drop.directive
      }
    }
    if (plan.sealAfter && this.core.initialized) this.core.sealed = true

    const status = reply.drop?.stage === 'before-headers' ? 0 : reply.status
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      timestamp: arrival,
      time: new Date(arrival).toISOString(),
      method: req.method,
      path: req.path,
      query: Object.fromEntries(req.query),
      namespace: info?.namespace ?? faultInfo.namespace,
      logicalPath: info?.logicalPath ?? faultPath,
      operation: info?.operation ?? null,
      tokenAccessor: info?.tokenAccessor ?? this.accessorOf(req),
      tokenPresented: info?.tokenPresented ?? this.accessorOf(req) !== null,
      mount: info?.mount ?? null,
      status,
      readSecretData: info?.readSecretData ?? false,
      returnedSecretData: (info?.readSecretData ?? false) && status === 200 && !reply.drop,
      delayMs: plan.delayMs,
      connectionId: req.connectionId,
      requestId: info?.requestId ?? '',
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      arrivalTick,
      doneTick: ++this.tick,
    }
    if (fault) entry.fault = fault
    if (plan.sealAfter) entry.sealedAfter = true
    this.log.push(entry)
    if (this.log.length > this.maxLogEntries) this.log.splice(0, this.log.length - this.maxLogEntries)
    return reply
  }

  private accessorOf(req: HttpRequest): string | null {
    const token =
      req.headers.get('x-vault-token')?.[0] ||
      (req.headers.get('authorization') ?? [])
        .find((v) => v.startsWith('Bearer '))
        ?.slice(7)
        .trim() ||
      ''
    return token ? (this.core.tokens.raw(token)?.accessor ?? null) : null
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.faults.clear()
    for (const wake of [...this.pendingSleeps]) wake()
    await this.transport.close()
  }
}

/** Starts a test server on 127.0.0.1 and resolves once it accepts connections. */
export async function startOpenBaoTestServer(opts: OpenBaoTestServerOptions = {}): Promise<OpenBaoTestServer> {
  const core = new OpenBaoCore({
    clock: opts.clock ?? createTestClock(),
    rootToken: opts.rootToken,
    devMounts: opts.devMounts ?? true,
    initialized: opts.initialized ?? true,
    sealed: opts.sealed ?? false,
    version: opts.version ?? '2.2.0',
  })
  const server = new TestServer(core, opts.testControl ?? true, opts.maxLogEntries ?? 100_000)
  server.port = await server.transport.listen(opts.port ?? 0, '127.0.0.1')
  return server
}
