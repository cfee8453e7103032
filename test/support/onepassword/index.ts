/**
 * An in-process 1Password Connect server for secretctl's `onepassword` backend tests.
 *
 * It speaks the Connect REST API v1 on 127.0.0.1 (plain HTTP) — the paths, methods, status codes,
 * JSON shapes and error bodies of 1Password/connect `docs/openapi/spec.yaml` and of real servers
 * as recorded in SDK tests and issues (see docs/onepassword-test-server.md) — with vaults, items
 * (fields, sections, files), `title`/`tag`/`name` filters, PATCH, Connect-shaped JWT access
 * tokens scoped per vault (read or write), the activity API, health and heartbeat; plus fault
 * injection and a request log for assertions. The official JavaScript SDK (`@1password/connect`)
 * runs against it unchanged.
 *
 * ```ts
 * import {startOnePasswordServer} from '../support/onepassword/index.js'
 *
 * const op = await startOnePasswordServer()                  // free port; op.token reaches every vault
 * const vault = op.createVault('Prod')                       // {id, name, …}
 * const item = op.createItem('Prod', {title: 'db', category: 'DATABASE', fields: {password: 's3cret'}})
 * const {token} = op.createToken({vaults: {Prod: 'read'}})   // a JWT like Connect's, read-only on Prod
 * op.editItem('Prod', item.id, {values: {password: 'new'}})  // version 1 → 2
 * op.faults.rateLimit(1, {path: 'vaults/+/items/+'}); op.faults.dropConnection({stage: 'partial-body'})
 * op.log                                                     // RequestLogEntry[]: method, path, tokenId, status, readsValues, …
 * await op.close()
 * ```
 *
 * Exported API:
 * - `startOnePasswordServer(opts?: OnePasswordServerOptions): Promise<OnePasswordServer>`
 * - types `OnePasswordServer`, `OnePasswordServerOptions`, `ItemSeed`, `ItemEdit`, `TokenOptions`,
 *   `RequestLogEntry`, `FaultController`, `FaultSpec`, `FaultMatch`, `FaultHandle`, `ConnectVault`,
 *   `ConnectItem`, `ConnectItemSummary`, `ConnectField`, `ConnectFile`, `VaultAccess`.
 *
 * Standalone: `npm run onepassword:dev -- --port 8080 --token T` (see cli.ts); the same controls
 * are then available over HTTP under `/__test/` (see test-control.ts).
 */
import http from 'node:http'
import type {Socket} from 'node:net'
import {FaultController, faultPath} from './faults.js'
import {uuid} from './ids.js'
import {
  type ConnectItem,
  type ConnectVault,
  type FieldInput,
  type ItemInput,
  itemDocument,
  normalizeItemContent,
  renderFullItem,
  renderVault,
} from './model.js'
import type {RequestLogEntry} from './request-log.js'
import {faultBody} from './responses.js'
import {type ActivityRecord, type ConnectContext, type Reply, routeConnect} from './router.js'
import {ConnectStore, type CreateVaultOptions} from './store.js'
import {handleTestControl} from './test-control.js'
import {TokenStore, type VaultAccess} from './tokens.js'

export type {FaultController, FaultSpec, FaultMatch, FaultHandle} from './faults.js'
export type {ConnectField, ConnectFile, ConnectItem, ConnectItemSummary, ConnectVault} from './model.js'
export type {RequestLogEntry} from './request-log.js'
export type {VaultAccess} from './tokens.js'

export interface OnePasswordServerOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** A fixed string accepted as a token for every vault, read and write (default: a minted JWT with that access). */
  token?: string
  /** Serve the `/__test/` control API (default true). */
  testControl?: boolean
  /** Connect version for `/health` and the `1Password-Connect-Version` header (default `1.8.1`). */
  version?: string
  /** Oldest log entries are dropped beyond this many (default 100000). */
  maxLogEntries?: number
  /** `inline_files=true` refuses files larger than this (default 100 KiB). */
  maxInlineFileSizeKb?: number
  /** The clock for createdAt/updatedAt and the log (default `Date.now`). */
  now?: () => number
}

/** An item to seed: a request body, where `fields` may also be `{label: value}` (each a CONCEALED field). */
export interface ItemSeed extends Omit<ItemInput, 'fields'> {
  title: string
  /** Default `SECURE_NOTE`. */
  category?: string
  fields?: FieldInput[] | Record<string, string>
  /** Attached files (the API cannot upload them; tests seed them here). */
  files?: {name: string; content: Buffer | string; section?: string}[]
  /** A fixed item id (26 characters of `[a-z0-9]`). */
  id?: string
}

/** A test edit: each given attribute replaces the item's; `values` sets fields by id or label (adding a CONCEALED field for an unknown label). Always a new version. */
export interface ItemEdit {
  title?: string
  category?: string
  tags?: string[]
  urls?: {href: string; label?: string; primary?: boolean}[]
  favorite?: boolean
  sections?: {id?: string; label?: string}[]
  fields?: FieldInput[]
  values?: Record<string, string>
  /** Field ids or labels to remove. */
  removeFields?: string[]
}

export interface TokenOptions {
  /** Vault id or name → `read` or `write` (write includes read); `*` = every vault, read and write. */
  vaults: '*' | Record<string, VaultAccess>
  name?: string
  /** Register this exact string instead of minting a JWT. */
  token?: string
}

export interface OnePasswordServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** A token with read and write access to every vault (the `token` option, or a minted JWT). */
  readonly token: string
  /** Every request to the API, oldest first (a live array; see `clearLog`). */
  readonly log: RequestLogEntry[]
  readonly faults: FaultController
  /** Log entries of requests that read field values or file content. */
  valueReads(): RequestLogEntry[]
  clearLog(): void
  /** Creates a vault (by name, or with options). */
  createVault(opts: string | CreateVaultOptions): ConnectVault
  /** Deletes a vault and its items (tokens that named it keep access to its id: then 404). */
  deleteVault(vault: string): boolean
  /** Every vault, whatever any token may see. */
  vaults(): ConnectVault[]
  /** Seeds an item in a vault (id or name); version 1. Throws on invalid input, as the API would answer 400. */
  createItem(vault: string, seed: ItemSeed): ConnectItem
  /** Edits an item (id or title) as a user would in the app: version + 1. */
  editItem(vault: string, item: string, edit: ItemEdit): ConnectItem
  /** The item (id or title) as `GET` would answer it, values included; undefined when absent. */
  readItem(vault: string, item: string): ConnectItem | undefined
  deleteItem(vault: string, item: string): boolean
  /** Issues a token scoped to vaults; returns it and its id (the `tokenId` in the log). */
  createToken(opts: TokenOptions): {token: string; id: string}
  /** Revokes a token (by the token or its id): further requests with it are 401. */
  revokeToken(tokenOrId: string): void
  /** Number of open client connections. */
  readonly connectionCount: number
  close(): Promise<void>
}

const MAX_BODY_BYTES = 16 * 1024 * 1024
const ACTIVITY_LIMIT = 10_000

class TestServer implements OnePasswordServer {
  readonly log: RequestLogEntry[] = []
  readonly faults = new FaultController()
  readonly store: ConnectStore
  readonly tokens: TokenStore
  readonly ctx: ConnectContext
  readonly http: http.Server
  port = 0
  token = ''
  private seq = 0
  private closed = false
  private nextConnectionId = 1
  private readonly connectionIds = new WeakMap<Socket, number>()
  private readonly sockets = new Set<Socket>()
  private readonly pendingSleeps = new Set<() => void>()

  constructor(
    readonly now: () => number,
    private readonly testControl: boolean,
    private readonly maxLogEntries: number,
    version: string,
    maxInlineFileBytes: number,
  ) {
    this.store = new ConnectStore(now)
    this.tokens = new TokenStore(now)
    this.ctx = {store: this.store, tokens: this.tokens, version, maxInlineFileBytes, activity: []}
    this.http = http.createServer({keepAliveTimeout: 120_000}, (req, res) => void this.onRequest(req, res))
    this.http.on('connection', (socket: Socket) => {
      this.connectionIds.set(socket, this.nextConnectionId++)
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }
  get connectionCount(): number {
    return this.sockets.size
  }

  valueReads(): RequestLogEntry[] {
    return this.log.filter((e) => e.readsValues)
  }
  clearLog(): void {
    this.log.length = 0
  }

  private vaultRecord(idOrName: string) {
    const vault = this.store.findVault(idOrName)
    if (!vault) throw new Error(`no vault ${JSON.stringify(idOrName)}`)
    return vault
  }

  private itemRecord(vault: string, idOrTitle: string) {
    const v = this.vaultRecord(vault)
    const item = this.store.item(v.id, idOrTitle) ?? this.store.itemsIn(v.id).find((i) => i.title === idOrTitle)
    if (!item) throw new Error(`no item ${JSON.stringify(idOrTitle)} in vault ${v.name}`)
    return item
  }

  createVault(opts: string | CreateVaultOptions): ConnectVault {
    const vault = this.store.createVault(typeof opts === 'string' ? {name: opts} : opts)
    return renderVault(vault, 0)
  }

  deleteVault(vault: string): boolean {
    const v = this.store.findVault(vault)
    return v ? this.store.deleteVault(v.id) : false
  }

  vaults(): ConnectVault[] {
    return this.store.allVaults().map((v) => renderVault(v, this.store.itemCount(v.id)))
  }

  createItem(vault: string, seed: ItemSeed): ConnectItem {
    const v = this.vaultRecord(vault)
    const {files, id, fields, ...rest} = seed
    const body: ItemInput = {category: 'SECURE_NOTE', ...rest, fields: seedFields(fields)}
    return renderFullItem(this.store.createItem(v.id, body, {id, files}))
  }

  editItem(vault: string, item: string, edit: ItemEdit): ConnectItem {
    const record = this.itemRecord(vault, item)
    const doc = itemDocument(record)
    for (const key of ['title', 'category', 'tags', 'urls', 'favorite', 'sections', 'fields'] as const) {
      if (edit[key] !== undefined) doc[key] = JSON.parse(JSON.stringify(edit[key]))
    }
    const fields = doc.fields ?? []
    const matches = (f: FieldInput, key: string) => f.id === key || f.label === key
    if (edit.removeFields) doc.fields = fields.filter((f) => !edit.removeFields!.some((key) => matches(f, key)))
    for (const [key, value] of Object.entries(edit.values ?? {})) {
      const field = doc.fields!.find((f) => matches(f, key))
      if (field) field.value = value
      else doc.fields!.push({label: key, value, type: 'CONCEALED'})
    }
    const content = normalizeItemContent(doc, record)
    return renderFullItem(this.store.replaceItem(record.vaultId, record.id, content))
  }

  readItem(vault: string, item: string): ConnectItem | undefined {
    try {
      return renderFullItem(this.itemRecord(vault, item))
    } catch {
      return undefined
    }
  }

  deleteItem(vault: string, item: string): boolean {
    const v = this.store.findVault(vault)
    if (!v) return false
    const record = this.store.item(v.id, item) ?? this.store.itemsIn(v.id).find((i) => i.title === item)
    return record ? this.store.deleteItem(v.id, record.id) : false
  }

  createToken(opts: TokenOptions): {token: string; id: string} {
    let vaults: '*' | Map<string, VaultAccess> = '*'
    if (opts.vaults !== '*') {
      vaults = new Map()
      for (const [key, access] of Object.entries(opts.vaults)) {
        if (access !== 'read' && access !== 'write') throw new Error(`vault access is read or write, not ${JSON.stringify(access)}`)
        // A name must name a vault; an id may be of a vault that does not exist (yet, or any more).
        const id = this.store.findVault(key)?.id ?? (/^[a-z0-9]{26}$/.test(key) ? key : undefined)
        if (!id) throw new Error(`no vault ${JSON.stringify(key)}`)
        vaults.set(id, access)
      }
    }
    const {token, entry} = this.tokens.issue({name: opts.name, vaults, fixed: opts.token})
    return {token, id: entry.id}
  }

  revokeToken(tokenOrId: string): void {
    if (!this.tokens.revoke(tokenOrId)) throw new Error('no such token')
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

  private readBody(req: http.IncomingMessage): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = []
      let size = 0
      let tooLarge = false
      req.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_BODY_BYTES) tooLarge = true
        else chunks.push(chunk)
      })
      req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)))
      req.on('error', () => resolve(Buffer.alloc(0)))
    })
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now()
    const arrival = this.now()
    const body = await this.readBody(req)
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = (req.method ?? 'GET').toUpperCase()
    let segments: string[]
    try {
      segments = url.pathname.split('/').map((s) => decodeURIComponent(s))
    } catch {
      segments = ['', '\u0000']
    }
    segments = segments.slice(1)
    while (segments.length && segments.at(-1) === '') segments.pop()

    if (segments[0] === '__test' && this.testControl) {
      const reply = handleTestControl(this, {method, segments: segments.slice(1), query: url.searchParams, body: body ?? Buffer.alloc(0)})
      this.send(res, reply)
      return
    }

    const plan = this.faults.evaluate(method, faultPath(url.pathname))
    if (plan.delayMs > 0) await this.sleep(plan.delayMs)

    const authorization = req.headers.authorization
    let reply: Reply
    let info: ReturnType<typeof routeConnect>['info'] | undefined
    let fault: RequestLogEntry['fault']
    let dropStage: 'before-headers' | 'after-headers' | 'partial-body' | undefined
    let dropBytes: number | undefined
    const requestId = uuid()
    if (this.closed) {
      reply = {status: 0, headers: [], body: null}
      dropStage = 'before-headers'
    } else if (plan.fail) {
      fault = 'fail'
      const b = plan.fail.body === undefined ? faultBody(plan.fail.status) : plan.fail.body
      const text = b === null ? null : typeof b === 'string' ? b : JSON.stringify(b)
      reply = {
        status: plan.fail.status,
        headers: [
          ...(text === null || typeof b === 'string' ? [] : [['Content-Type', 'application/json'] as [string, string]]),
          ...Object.entries(plan.fail.headers),
        ],
        body: text === null ? null : Buffer.from(text),
      }
    } else if (plan.drop && !plan.drop.applyRequest) {
      fault = 'drop'
      reply = {status: 0, headers: [], body: null}
      dropStage = 'before-headers'
    } else {
      if (body === null) {
        reply = {
          status: 413,
          headers: [['Content-Type', 'application/json']],
          body: Buffer.from(JSON.stringify({status: 413, message: 'Request body too large'})),
        }
      } else {
        const routed = routeConnect(this.ctx, {method, segments, query: url.searchParams, authorization, body})
        reply = routed.reply
        info = routed.info
      }
      if (plan.drop) {
        fault = 'drop'
        dropStage = plan.drop.stage
        dropBytes = plan.drop.bytes
      }
    }
    reply.headers.push(['1Password-Connect-Version', this.ctx.version])

    const status = dropStage === 'before-headers' ? 0 : reply.status
    const delivered = !dropStage
    const readsValues = info?.readsValues ?? false
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      timestamp: arrival,
      time: new Date(arrival).toISOString(),
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      route: info?.route ?? null,
      action: info?.action ?? null,
      tokenId: info?.token?.id ?? this.tokens.idOf(authorization),
      tokenPresented: authorization !== undefined,
      vaultId: info?.vaultId ?? null,
      itemId: info?.itemId ?? null,
      itemVersion: info?.itemVersion ?? null,
      status,
      readsValues,
      returnedValues: readsValues && delivered && status >= 200 && status < 300,
      delayMs: plan.delayMs,
      connectionId: this.connectionIds.get(req.socket) ?? 0,
      requestId,
      userAgent: req.headers['user-agent'] ?? '',
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    }
    if (fault) entry.fault = fault
    this.log.push(entry)
    if (this.log.length > this.maxLogEntries) this.log.splice(0, this.log.length - this.maxLogEntries)
    if (info) this.recordActivity(entry, info, req)

    if (dropStage) this.drop(req, res, reply, dropStage, dropBytes)
    else this.send(res, reply, method === 'HEAD')
  }

  private recordActivity(
    entry: RequestLogEntry,
    info: NonNullable<ReturnType<typeof routeConnect>['info']>,
    req: http.IncomingMessage,
  ): void {
    const ok = entry.status >= 200 && entry.status < 300
    if (!info.token || !info.vaultId || !info.action || !(ok || entry.status === 403)) return
    const record: ActivityRecord = {
      requestId: entry.requestId,
      timestamp: entry.time,
      action: info.action,
      result: ok ? 'SUCCESS' : 'DENY',
      actor: {
        id: this.tokens.subject,
        account: this.tokens.accountId,
        jti: info.token.id,
        userAgent: entry.userAgent,
        requestIp: req.socket.remoteAddress ?? '',
      },
      resource: {type: info.itemId ? 'ITEM' : 'VAULT', vault: {id: info.vaultId}},
    }
    if (info.itemId) record.resource.item = {id: info.itemId}
    if (info.itemVersion !== null) record.resource.itemVersion = info.itemVersion
    this.ctx.activity.push(record)
    if (this.ctx.activity.length > ACTIVITY_LIMIT) this.ctx.activity.splice(0, this.ctx.activity.length - ACTIVITY_LIMIT)
  }

  private send(res: http.ServerResponse, reply: Reply, head = false): void {
    if (res.destroyed) return
    res.statusCode = reply.status
    for (const [name, value] of reply.headers) res.setHeader(name, value)
    if (reply.body && reply.status !== 204) {
      res.setHeader('Content-Length', reply.body.length)
      res.end(head ? undefined : reply.body)
    } else {
      res.end()
    }
  }

  /** Breaks a reply on purpose: nothing written, the status line and headers only, or part of the body. */
  private drop(req: http.IncomingMessage, res: http.ServerResponse, reply: Reply, stage: string, bytes?: number): void {
    const socket = req.socket
    if (stage === 'before-headers' || socket.destroyed) {
      socket.destroy()
      return
    }
    const body = reply.body ?? Buffer.alloc(0)
    let head = `HTTP/1.1 ${reply.status} ${http.STATUS_CODES[reply.status] ?? 'Status'}\r\n`
    for (const [name, value] of reply.headers) head += `${name}: ${value}\r\n`
    head += `Date: ${new Date().toUTCString()}\r\nContent-Length: ${body.length}\r\n\r\n`
    let out = Buffer.from(head, 'latin1')
    if (stage === 'partial-body' && body.length > 0) {
      const n = Math.max(0, Math.min(body.length - 1, bytes ?? Math.floor(body.length / 2)))
      out = Buffer.concat([out, body.subarray(0, n)])
    }
    // Detach the response so Node writes nothing more on this socket, then cut it once the bytes are out.
    res.detachSocket(socket)
    socket.write(out, () => socket.destroy())
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const wake of [...this.pendingSleeps]) wake()
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve())
      this.http.closeAllConnections()
    })
  }
}

/** Seed fields: a list as the API takes it, or `{label: value}` (each a CONCEALED field). */
function seedFields(fields: ItemSeed['fields']): FieldInput[] {
  if (fields === undefined) return []
  if (Array.isArray(fields)) return fields
  return Object.entries(fields).map(([label, value]) => ({label, value, type: 'CONCEALED'}))
}

/** Starts a test server on 127.0.0.1 and resolves once it accepts connections. */
export async function startOnePasswordServer(opts: OnePasswordServerOptions = {}): Promise<OnePasswordServer> {
  const server = new TestServer(
    opts.now ?? Date.now,
    opts.testControl ?? true,
    opts.maxLogEntries ?? 100_000,
    opts.version ?? '1.8.1',
    (opts.maxInlineFileSizeKb ?? 100) * 1024,
  )
  server.token = server.createToken({vaults: '*', name: 'test-server', token: opts.token}).token
  await new Promise<void>((resolve, reject) => {
    server.http.once('error', reject)
    server.http.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.http.off('error', reject)
      const address = server.http.address()
      server.port = typeof address === 'object' && address ? address.port : (opts.port ?? 0)
      resolve()
    })
  })
  return server
}
