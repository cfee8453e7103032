/**
 * The API itself: authentication (bearer token → user, 401 otherwise), the URL → request
 * attributes mapping (the API server's RequestInfo: verb, resource, namespace, name),
 * authorization (403 with the RBAC text), content negotiation (JSON, YAML, and the `as=Table`
 * form `kubectl get` asks for), and the REST verbs on Secrets and Namespaces — get, list (label
 * and field selectors, resourceVersion / resourceVersionMatch, limit/continue), watch, create,
 * update (optimistic concurrency on metadata.resourceVersion), patch (merge, strategic merge,
 * JSON patch, server-side apply), delete and deletecollection — with the API server's status
 * codes and Status bodies. Behaviour follows the API conventions
 * (kubernetes/community contributors/devel/sig-architecture/api-conventions.md) and
 * k8s.io/apiserver's generic registry.
 */
import {randomUUID} from 'node:crypto'
import YAML from 'yaml'
import {
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3CoreV1Bytes,
  openApiV3Index,
  type VersionInfo,
  versionDocument,
} from './discovery.js'
import {type KindSpec, type KubeObject, kindByResource, namespaceKind, secretKind} from './kinds.js'
import {applyJsonPatch, isObject, type Json, type JsonObject, mergePatch, strategicMergePatch} from './patch.js'
import {authorize, forbiddenReason, type Identity, type RequestAttributes, type TokenStore} from './rbac.js'
import {decodeProtobufObject} from './protobuf.js'
import {parseFieldSelector, parseLabelSelector} from './selectors.js'
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  methodNotSupported,
  notAcceptable,
  notFound,
  pageNotFound,
  resourceExpired,
  type Status,
  StatusError,
  success,
  timeout,
  unauthorized,
  unsupportedMediaType,
} from './status.js'
import type {ChangeEvent, ObjectStore} from './store.js'

export interface ApiRequest {
  method: string
  path: string
  query: URLSearchParams
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** What the request was, for the request log and faults. */
export interface RouteInfo {
  verb: string | null
  resource: string | null
  namespace: string
  name: string
  user: string | null
  tokenPresented: boolean
  /** A read of Secret values was attempted (get/list/watch of secrets). */
  readSecretData: boolean
  /** Secret values were returned. */
  returnedSecretData: boolean
}

/** A watch: the transport writes the headers, then calls `start` with a line writer. */
export interface WatchStream {
  start(write: (line: string) => void, end: () => void): () => void
}

export interface ApiReply {
  status: number
  headers: [string, string][]
  body: Buffer | null
  watch?: WatchStream
}

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public'])

function header(req: ApiRequest, name: string): string {
  const v = req.headers[name]
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '')
}

function bearerToken(req: ApiRequest): string | undefined {
  const auth = header(req, 'authorization')
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim())
  return m ? m[1]!.trim() : undefined
}

interface MediaRange {
  type: string
  params: Record<string, string>
}

function parseAccept(accept: string): MediaRange[] {
  if (!accept.trim()) return [{type: '*/*', params: {}}]
  return accept.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim())
    return {
      type: (type ?? '').toLowerCase(),
      params: Object.fromEntries(params.map((p) => p.split('=').map((s) => s.trim()) as [string, string])),
    }
  })
}

type Format = 'json' | 'yaml'

interface Negotiated {
  format: Format
  /** `meta.k8s.io/v1` or `v1beta1` when the client asked for a Table. */
  table?: string
  /**
   * `meta.k8s.io/v1` or `v1beta1` when the client asked for metadata only (`as=PartialObjectMetadata`
   * on a get, `as=PartialObjectMetadataList` on a list), as the apiserver's response transform serves
   * it (controller-runtime's metadata client, `kubectl get --output-watch-events` ask for it).
   */
  partial?: string
}

function negotiate(req: ApiRequest, allowTable: boolean, partialAs?: 'PartialObjectMetadata' | 'PartialObjectMetadataList'): Negotiated {
  const ranges = parseAccept(header(req, 'accept'))
  for (const r of ranges) {
    const fmt: Format | undefined =
      r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*'
        ? 'json'
        : r.type === 'application/yaml'
          ? 'yaml'
          : undefined
    if (!fmt) continue
    if (r.params.as === 'Table') {
      if (allowTable && r.params.g === 'meta.k8s.io' && (r.params.v === 'v1' || r.params.v === 'v1beta1'))
        return {format: fmt, table: `meta.k8s.io/${r.params.v}`}
      continue
    }
    if (
      r.params.as &&
      partialAs &&
      r.params.as === partialAs &&
      r.params.g === 'meta.k8s.io' &&
      (r.params.v === 'v1' || r.params.v === 'v1beta1')
    )
      return {format: fmt, partial: `meta.k8s.io/${r.params.v}`}
    if (r.params.as) continue
    return {format: fmt}
  }
  throw notAcceptable(
    'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  )
}

function encode(value: unknown, format: Format): Buffer {
  return Buffer.from(format === 'yaml' ? YAML.stringify(value) : `${JSON.stringify(value)}\n`)
}

function reply(status: number, value: unknown, format: Format = 'json', extra: [string, string][] = []): ApiReply {
  return {
    status,
    headers: [['Content-Type', format === 'yaml' ? 'application/yaml' : 'application/json'], ...extra],
    body: encode(value, format),
  }
}

export function statusReply(err: StatusError): ApiReply {
  const extra: [string, string][] = []
  const retry = err.status.details?.retryAfterSeconds
  if (retry && (err.code === 429 || err.code >= 500)) extra.push(['Retry-After', String(retry)])
  return reply(err.code, err.status, 'json', extra)
}

/** A Status with no reason (the storage layer's plain errors surface like this, as a 500). */
function plainFailure(code: number, message: string): StatusError {
  const status: Status = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code}
  return new StatusError(status)
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf'

function parseJsonBody(req: ApiRequest, what: 'object' | 'patch', kind?: KindSpec): unknown {
  const contentType = header(req, 'content-type').split(';')[0]!.trim().toLowerCase()
  if (what === 'object' && contentType === PROTOBUF && kind) return decodeProtobufObject(req.body, kind.kind)
  const text = req.body.toString('utf8')
  if (
    what === 'object' &&
    contentType &&
    contentType !== 'application/json' &&
    contentType !== 'application/yaml' &&
    contentType !== '*/*'
  ) {
    throw unsupportedMediaType('application/json, application/yaml, application/vnd.kubernetes.protobuf')
  }
  try {
    if (contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml') return YAML.parse(text) as unknown
    return JSON.parse(text) as unknown
  } catch (err) {
    const why = (err as Error).message.split('\n')[0]
    throw badRequest(what === 'patch' ? `error decoding patch: ${why}` : `couldn't get version/kind; json parse error: ${why}`)
  }
}

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789'

function generateSuffix(): string {
  let s = ''
  for (let i = 0; i < 5; i++) s += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)]
  return s
}

/** Parses the URL into request attributes (the API server's RequestInfo), or undefined for a non-resource path. */
function requestInfo(req: ApiRequest): {attrs: RequestAttributes; kind: KindSpec; collection: boolean; subresource?: string} | undefined {
  const parts = req.path.split('/').filter(Boolean)
  if (parts[0] !== 'api' || parts[1] !== 'v1' || parts.length < 3) return undefined
  let rest = parts.slice(2)
  let namespace = ''
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!
    rest = rest.slice(2)
  } else if (rest[0] === 'namespaces') {
    // namespaces or namespaces/NAME: the namespace of the request is the object itself.
    const kind = namespaceKind
    const name = rest[1] ?? ''
    return {attrs: {verb: verbOf(req, !name), resource: 'namespaces', namespace: name, name}, kind, collection: !name}
  }
  const resource = rest[0]
  const kind = resource ? kindByResource(resource) : undefined
  if (!kind || rest.length > 3) return undefined
  const name = rest[1] ?? ''
  const subresource = rest[2]
  return {attrs: {verb: verbOf(req, !name), resource: kind.resource, namespace, name}, kind, collection: !name, subresource}
}

/** The Kubernetes verb, resource, namespace and name a request addresses (before authentication), for faults and the log. */
export function describeRequest(req: ApiRequest): RequestAttributes | undefined {
  return requestInfo(req)?.attrs
}

function truthy(v: string | null): boolean {
  return v === 'true' || v === '1'
}

function verbOf(req: ApiRequest, collection: boolean): string {
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return collection ? (truthy(req.query.get('watch')) ? 'watch' : 'list') : 'get'
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return collection ? 'deletecollection' : 'delete'
    default:
      return req.method.toLowerCase()
  }
}

export interface KubeApiOptions {
  store: ObjectStore
  tokens: TokenStore
  now: () => number
  version: VersionInfo
}

/** Tracks the fields each field manager set with server-side apply, per object uid. */
type AppliedFields = Map<string, Map<string, Set<string>>>

export class KubeApi {
  private readonly store: ObjectStore
  private readonly tokens: TokenStore
  private readonly now: () => number
  private readonly version: VersionInfo
  private readonly applied: AppliedFields = new Map()

  constructor(opts: KubeApiOptions) {
    this.store = opts.store
    this.tokens = opts.tokens
    this.now = opts.now
    this.version = opts.version
  }

  /** Answers one request; `info` is filled in as far as the request got. */
  handle(req: ApiRequest, info: RouteInfo): ApiReply {
    try {
      return this.route(req, info)
    } catch (err) {
      if (err instanceof StatusError) return statusReply(err)
      throw err
    }
  }

  private authenticate(req: ApiRequest, info: RouteInfo): Identity {
    const token = bearerToken(req)
    info.tokenPresented = token !== undefined
    const identity = token ? this.tokens.lookup(token) : undefined
    if (!identity) throw unauthorized()
    info.user = identity.user
    return identity
  }

  private route(req: ApiRequest, info: RouteInfo): ApiReply {
    const identity = this.authenticate(req, info)
    const parsed = requestInfo(req)
    if (!parsed) return this.nonResource(req)
    const {attrs, kind, collection, subresource} = parsed
    info.verb = attrs.verb
    info.resource = attrs.resource
    info.namespace = attrs.namespace
    info.name = attrs.name
    if (kind.holdsSecretData && (attrs.verb === 'get' || attrs.verb === 'list' || attrs.verb === 'watch')) info.readSecretData = true
    if (!authorize(identity, attrs)) throw forbidden({group: '', resource: attrs.resource}, attrs.name, forbiddenReason(identity, attrs))
    if (subresource) throw pageNotFound()
    const ns = kind.namespaced ? attrs.namespace : ''
    const gr = {group: '', resource: kind.resource}
    switch (attrs.verb) {
      case 'get':
        return this.get(req, kind, ns, attrs.name, info)
      case 'list':
        return this.list(req, kind, ns, info)
      case 'watch':
        return this.watch(req, kind, ns, info)
      case 'create':
        if (!collection) throw methodNotAllowed()
        return this.create(req, kind, ns)
      case 'update':
        if (collection) throw methodNotAllowed()
        return this.update(req, kind, ns, attrs.name)
      case 'patch':
        if (collection) throw methodNotAllowed()
        return this.patch(req, kind, ns, attrs.name)
      case 'delete':
        return this.delete(req, kind, ns, attrs.name)
      case 'deletecollection':
        if (kind !== secretKind || !ns) throw methodNotSupported(gr, 'deletecollection')
        return this.deleteCollection(req, kind, ns)
      default:
        throw methodNotAllowed()
    }
  }

  private nonResource(req: ApiRequest): ApiReply {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed()
    switch (req.path.replace(/\/+$/, '') || '/') {
      case '/version':
        return reply(200, versionDocument(this.version))
      case '/api':
        return reply(200, apiVersions())
      case '/apis':
        return reply(200, apiGroupList())
      case '/api/v1':
        return reply(200, apiResourceList())
      case '/healthz':
      case '/livez':
      case '/readyz':
        return {status: 200, headers: [['Content-Type', 'text/plain; charset=utf-8']], body: Buffer.from('ok')}
      case '/openapi/v3':
        return reply(200, openApiV3Index())
      case '/openapi/v3/api/v1': {
        const {body, hash} = openApiV3CoreV1Bytes()
        const immutable = req.query.get('hash') === hash
        return {
          status: 200,
          headers: [
            ['Content-Type', 'application/json'],
            ['Etag', `"${hash}"`],
            ['Cache-Control', immutable ? 'public, immutable' : 'no-cache, private'],
          ],
          body,
        }
      }
      default:
        throw pageNotFound()
    }
  }

  private output(obj: KubeObject, kind: KindSpec): KubeObject {
    return kind.canonical(obj)
  }

  private get(req: ApiRequest, kind: KindSpec, ns: string, name: string, info: RouteInfo): ApiReply {
    const neg = negotiate(req, true, 'PartialObjectMetadata')
    const obj = this.store.get(kind.resource, ns, name)
    if (!obj) throw notFound({group: '', resource: kind.resource}, name)
    if (kind.holdsSecretData) info.returnedSecretData = !neg.partial && (!neg.table || req.query.get('includeObject') === 'Object')
    if (neg.partial) return reply(200, this.partial(obj, kind, neg.partial), neg.format)
    if (neg.table) return reply(200, this.table(req, kind, [obj], this.store.resourceVersion, neg.table), neg.format)
    return reply(200, this.output(obj, kind), neg.format)
  }

  /** Metadata only, as the apiserver's `asPartialObjectMetadata` transform gives it. */
  private partial(obj: KubeObject, kind: KindSpec, apiVersion: string): KubeObject {
    return {kind: 'PartialObjectMetadata', apiVersion, metadata: this.output(obj, kind).metadata}
  }

  private table(
    req: ApiRequest,
    kind: KindSpec,
    objects: KubeObject[],
    rv: number,
    apiVersion: string,
    listMeta: Record<string, unknown> = {},
  ): unknown {
    const include = req.query.get('includeObject') ?? 'Metadata'
    const now = this.now()
    return {
      kind: 'Table',
      apiVersion,
      metadata: {resourceVersion: String(rv), ...listMeta},
      columnDefinitions: kind.tableColumns,
      rows: objects.map((o) => {
        const row: Record<string, unknown> = {cells: kind.tableCells(o, now)}
        if (include === 'Object') row.object = this.output(o, kind)
        else if (include !== 'None')
          row.object = {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: this.output(o, kind).metadata}
        return row
      }),
    }
  }

  private checkListResourceVersion(req: ApiRequest): void {
    const rv = req.query.get('resourceVersion')
    const match = req.query.get('resourceVersionMatch')
    if (match && match !== 'Exact' && match !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`)
    }
    if (match && !rv) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided')
    if (!rv || rv === '0') {
      if (match === 'Exact' && rv === '0') throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
      return
    }
    if (!/^[0-9]+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`)
    const n = Number(rv)
    const current = this.store.resourceVersion
    if (n > current) {
      throw timeout(`Too large resource version: ${n}, current: ${current}`, 1, [
        {reason: 'ResourceVersionTooLarge', message: 'Too large resource version'},
      ])
    }
    // Only the latest state is kept: an exact older revision is gone, as after an etcd compaction.
    if (match === 'Exact' && n !== current) throw resourceExpired('The resourceVersion for the provided list is too old.')
  }

  private list(req: ApiRequest, kind: KindSpec, ns: string, info: RouteInfo): ApiReply {
    const neg = negotiate(req, true, 'PartialObjectMetadataList')
    const labels = parseLabelSelector(req.query.get('labelSelector'))
    const fields = parseFieldSelector(req.query.get('fieldSelector'), kind.fieldSelectors)
    const cont = req.query.get('continue')
    let start = ''
    let rv = this.store.resourceVersion
    if (cont) {
      if (req.query.get('resourceVersion')) throw badRequest('specifying resource version is not allowed when using continue')
      const token = decodeContinue(cont)
      start = token.start
      rv = token.rv
    } else {
      this.checkListResourceVersion(req)
    }
    const limitText = req.query.get('limit')
    const limit = limitText && /^[0-9]+$/.test(limitText) ? Number(limitText) : 0
    const matching = this.store
      .list(kind.resource, ns)
      .filter((o) => labels.matches(o.metadata.labels) && fields(kind.fields(o)))
      .filter((o) => !start || keyOf(o) >= start)
    const page = limit > 0 ? matching.slice(0, limit) : matching
    const listMeta: Record<string, unknown> = {}
    if (limit > 0 && matching.length > limit) {
      listMeta.continue = encodeContinue(rv, `${keyOf(page[page.length - 1]!)}\u0000`)
      if (labels.empty && !req.query.get('fieldSelector')) listMeta.remainingItemCount = matching.length - limit
    }
    if (kind.holdsSecretData && page.length > 0)
      info.returnedSecretData = !neg.partial && (!neg.table || req.query.get('includeObject') === 'Object')
    if (neg.table) return reply(200, this.table(req, kind, page, rv, neg.table, listMeta), neg.format)
    if (neg.partial) {
      const items = page.map((o) => this.partial(o, kind, neg.partial as string))
      return reply(
        200,
        {kind: 'PartialObjectMetadataList', apiVersion: neg.partial, metadata: {resourceVersion: String(rv), ...listMeta}, items},
        neg.format,
      )
    }
    const items = page.map((o) => {
      const {kind: _k, apiVersion: _a, ...rest} = this.output(o, kind)
      return rest
    })
    return reply(200, {kind: kind.listKind, apiVersion: 'v1', metadata: {resourceVersion: String(rv), ...listMeta}, items}, neg.format)
  }

  private watch(req: ApiRequest, kind: KindSpec, ns: string, info: RouteInfo): ApiReply {
    const neg = negotiate(req, true)
    const labels = parseLabelSelector(req.query.get('labelSelector'))
    const fields = parseFieldSelector(req.query.get('fieldSelector'), kind.fieldSelectors)
    const rvText = req.query.get('resourceVersion') ?? ''
    const timeoutSeconds = Number(req.query.get('timeoutSeconds') ?? '0')
    const matches = (o: KubeObject) => (!ns || o.metadata.namespace === ns) && labels.matches(o.metadata.labels) && fields(kind.fields(o))
    let backlog: ChangeEvent[]
    if (rvText === '' || rvText === '0') {
      // Start at the most recent state: a synthetic ADDED per existing object.
      backlog = this.store
        .list(kind.resource, ns)
        .filter(matches)
        .map((o) => ({
          type: 'ADDED',
          resource: kind.resource,
          namespace: o.metadata.namespace ?? '',
          rv: Number(o.metadata.resourceVersion),
          object: o,
        }))
    } else {
      if (!/^[0-9]+$/.test(rvText)) throw badRequest(`invalid resource version: ${JSON.stringify(rvText)}`)
      const since = this.store.eventsSince(Number(rvText))
      if (!since) throw resourceExpired(`too old resource version: ${rvText} (${this.store.oldestWatchable})`)
      backlog = since.filter((e) => e.resource === kind.resource && matches(e.object))
    }
    if (kind.holdsSecretData) info.returnedSecretData = true
    const render = (e: ChangeEvent): string => {
      const object = neg.table ? this.table(req, kind, [e.object], e.rv, neg.table) : this.output(e.object, kind)
      return `${JSON.stringify({type: e.type, object})}\n`
    }
    const store = this.store
    return {
      status: 200,
      headers: [['Content-Type', 'application/json']],
      body: null,
      watch: {
        start(write, end) {
          for (const e of backlog) write(render(e))
          const unsubscribe = store.subscribe((e) => {
            if (e.resource === kind.resource && matches(e.object)) write(render(e))
          })
          const timer = timeoutSeconds > 0 ? setTimeout(end, timeoutSeconds * 1000) : undefined
          timer?.unref()
          return () => {
            unsubscribe()
            if (timer) clearTimeout(timer)
          }
        },
      },
    }
  }

  /** Handles `fieldValidation`: Strict fails on unknown fields, Warn (the default) answers with Warning headers. */
  private fieldValidation(req: ApiRequest, unknownFields: string[]): [string, string][] {
    const mode = req.query.get('fieldValidation') ?? 'Warn'
    if (!['Strict', 'Warn', 'Ignore'].includes(mode)) {
      throw badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(mode)}: supported values: "Ignore", "Strict", "Warn"`)
    }
    if (unknownFields.length === 0 || mode === 'Ignore') return []
    const texts = unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`)
    if (mode === 'Strict') throw badRequest(`strict decoding error: ${texts.join(', ')}`)
    return texts.map((t) => ['Warning', `299 - ${JSON.stringify(t)}`])
  }

  private dryRun(req: ApiRequest): boolean {
    const values = req.query.getAll('dryRun')
    for (const v of values) if (v !== 'All') throw badRequest(`Invalid dry run value: ${v}`)
    return values.length > 0
  }

  private requireNamespace(kind: KindSpec, ns: string): void {
    if (kind.namespaced && !this.store.get('namespaces', '', ns)) throw notFound({group: '', resource: 'namespaces'}, ns)
  }

  private create(req: ApiRequest, kind: KindSpec, ns: string, preparsed?: unknown): ApiReply {
    const neg = negotiate(req, false)
    const dryRun = this.dryRun(req)
    const {object, unknownFields} = kind.decode(preparsed ?? parseJsonBody(req, 'object', kind))
    const warnings = this.fieldValidation(req, unknownFields)
    const meta = object.metadata
    if (kind.namespaced) {
      if (meta.namespace && meta.namespace !== ns)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
      meta.namespace = ns
    }
    this.requireNamespace(kind, ns)
    if (!meta.name && meta.generateName) meta.name = meta.generateName + generateSuffix()
    if (meta.resourceVersion) throw plainFailure(500, 'resourceVersion should not be set on objects to be created')
    meta.uid = randomUUID()
    meta.creationTimestamp = new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
    delete meta.generation
    delete meta.deletionTimestamp
    delete meta.deletionGracePeriodSeconds
    kind.prepareForCreate(object)
    const errs = kind.validateCreate(object)
    if (errs.length) throw invalid(kind.kind, meta.name ?? '', errs)
    if (this.store.get(kind.resource, ns, meta.name!)) throw alreadyExists({group: '', resource: kind.resource}, meta.name!)
    const stored = kind.canonical(object)
    if (!dryRun) this.store.put(kind.resource, stored, 'ADDED')
    return reply(201, this.output(stored, kind), neg.format, warnings)
  }

  /** The shared tail of PUT and PATCH: preconditions, immutable fields, validation, no-op detection, write. */
  private updateWith(req: ApiRequest, kind: KindSpec, ns: string, name: string, old: KubeObject, body: unknown, status = 200): ApiReply {
    const neg = negotiate(req, false)
    const dryRun = this.dryRun(req)
    const gr = {group: '', resource: kind.resource}
    const {object, unknownFields} = kind.decode(body)
    const warnings = this.fieldValidation(req, unknownFields)
    const meta = object.metadata
    if (meta.name !== name) throw badRequest(`the name of the object (${meta.name ?? ''}) does not match the name on the URL (${name})`)
    if (kind.namespaced) {
      if (meta.namespace && meta.namespace !== ns)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
      meta.namespace = ns
    }
    if (meta.resourceVersion && meta.resourceVersion !== old.metadata.resourceVersion) {
      if (!/^[0-9]+$/.test(meta.resourceVersion)) {
        throw invalid(kind.kind, name, [
          {
            type: 'FieldValueInvalid',
            field: 'metadata.resourceVersion',
            value: meta.resourceVersion,
            detail: 'must be a valid resource version',
          },
        ])
      }
      throw conflict(gr, name)
    }
    // An update without resourceVersion is unconditional (Secrets and Namespaces allow it).
    meta.resourceVersion = old.metadata.resourceVersion
    if (!meta.uid) meta.uid = old.metadata.uid
    meta.creationTimestamp = old.metadata.creationTimestamp
    if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp
    else delete meta.deletionTimestamp
    if (old.metadata.generation !== undefined) meta.generation = old.metadata.generation
    else delete meta.generation
    kind.prepareForUpdate(object, old)
    const errs = kind.validateUpdate(object, old)
    if (errs.length) throw invalid(kind.kind, name, errs)
    const stored = kind.canonical(object)
    const {resourceVersion: _a, ...newMeta} = stored.metadata
    const {resourceVersion: _b, ...oldMeta} = old.metadata
    if (JSON.stringify({...stored, metadata: newMeta}) === JSON.stringify({...old, metadata: oldMeta})) {
      // A no-op write leaves the object (and its resourceVersion) alone, as the API server does.
      return reply(200, this.output(old, kind), neg.format, warnings)
    }
    if (!dryRun) {
      if (stored.metadata.deletionTimestamp && !stored.metadata.finalizers?.length) {
        this.removeObject(kind, ns, name)
        return reply(200, this.output(stored, kind), neg.format, warnings)
      }
      this.store.put(kind.resource, stored, 'MODIFIED')
    }
    return reply(status, this.output(stored, kind), neg.format, warnings)
  }

  private existing(kind: KindSpec, ns: string, name: string): KubeObject {
    const old = this.store.get(kind.resource, ns, name)
    if (!old) throw notFound({group: '', resource: kind.resource}, name)
    return old
  }

  private update(req: ApiRequest, kind: KindSpec, ns: string, name: string): ApiReply {
    const body = parseJsonBody(req, 'object', kind)
    return this.updateWith(req, kind, ns, name, this.existing(kind, ns, name), body)
  }

  private patch(req: ApiRequest, kind: KindSpec, ns: string, name: string): ApiReply {
    const contentType = header(req, 'content-type').split(';')[0]!.trim().toLowerCase()
    const types = [
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/apply-patch+yaml',
    ]
    if (!types.includes(contentType)) throw unsupportedMediaType(types.join(', '))
    if (contentType === 'application/apply-patch+yaml') return this.apply(req, kind, ns, name)
    const old = this.existing(kind, ns, name)
    const patchBody = parseJsonBody(req, 'patch') as Json
    const current = this.output(old, kind) as unknown as Json
    let patched: Json
    if (contentType === 'application/json-patch+json') patched = applyJsonPatch(current, patchBody)
    else if (contentType === 'application/merge-patch+json') {
      if (!isObject(patchBody)) throw badRequest('error decoding patch: a merge patch must be a JSON object')
      patched = mergePatch(current, patchBody)
    } else patched = strategicMergePatch(current, patchBody)
    return this.updateWith(req, kind, ns, name, old, patched)
  }

  /**
   * Server-side apply, simplified: the applied configuration's fields are set; fields this field
   * manager applied before and now leaves out are removed; the object is created when missing.
   * No conflict detection between managers, and managedFields is not written back.
   */
  private apply(req: ApiRequest, kind: KindSpec, ns: string, name: string): ApiReply {
    const manager = req.query.get('fieldManager')
    if (!manager) {
      throw invalid('PatchOptions', '', [{type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch'}])
    }
    const applied = parseJsonBody(req, 'patch')
    if (!isObject(applied as Json)) throw badRequest('error decoding patch: an apply patch must be an object')
    const config = applied as JsonObject
    const paths = fieldPaths(config)
    const old = this.store.get(kind.resource, ns, name)
    if (!old) {
      const meta = isObject(config.metadata ?? null) ? (config.metadata as JsonObject) : {}
      const body = {...config, metadata: {...meta, name: meta.name ?? name}}
      const result = this.create(req, kind, ns, body)
      const created = this.store.get(kind.resource, ns, name)
      if (created?.metadata.uid) this.recordApplied(created.metadata.uid, manager, paths)
      return result
    }
    let current = this.output(old, kind) as unknown as JsonObject
    const before = this.applied.get(old.metadata.uid ?? '')?.get(manager) ?? new Set<string>()
    for (const p of before) if (!paths.has(p)) current = removePath(current, p)
    const merged = mergePatch(current, stripNulls(config)) as JsonObject
    const result = this.updateWith(req, kind, ns, name, old, merged)
    if (result.status < 300) this.recordApplied(old.metadata.uid ?? '', manager, paths)
    return result
  }

  private recordApplied(uid: string, manager: string, paths: Set<string>): void {
    let byManager = this.applied.get(uid)
    if (!byManager) {
      byManager = new Map()
      this.applied.set(uid, byManager)
    }
    byManager.set(manager, paths)
  }

  private removeObject(kind: KindSpec, ns: string, name: string): KubeObject | undefined {
    const gone = this.store.delete(kind.resource, ns, name)
    if (gone?.metadata.uid) this.applied.delete(gone.metadata.uid)
    return gone
  }

  private delete(req: ApiRequest, kind: KindSpec, ns: string, name: string): ApiReply {
    const neg = negotiate(req, false)
    const dryRun = this.dryRun(req)
    const gr = {group: '', resource: kind.resource}
    const old = this.existing(kind, ns, name)
    // DeleteOptions (preconditions); a protobuf one from a typed client is not read.
    const isProtobuf = header(req, 'content-type').startsWith(PROTOBUF)
    const options = req.body.length && !isProtobuf ? (parseJsonBody(req, 'object') as Record<string, unknown>) : {}
    const pre = (options?.preconditions ?? {}) as {uid?: string; resourceVersion?: string}
    if (pre.uid && pre.uid !== old.metadata.uid) {
      throw conflict(gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`)
    }
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        gr,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      )
    }
    if (kind === namespaceKind) {
      if (PROTECTED_NAMESPACES.has(name)) throw forbidden(gr, name, 'this namespace may not be deleted')
      const terminating = kind.canonical({
        ...old,
        metadata: {...old.metadata, deletionTimestamp: this.timestamp()},
        status: {phase: 'Terminating'},
      })
      if (!dryRun) {
        // The namespace controller's work, done at once: its objects go, then the namespace.
        for (const s of this.store.list('secrets', name)) this.removeObject(secretKind, name, s.metadata.name ?? '')
        this.removeObject(kind, '', name)
      }
      return reply(200, terminating, neg.format)
    }
    if (old.metadata.finalizers?.length) {
      // Finalizers hold the object: it is only marked for deletion.
      if (old.metadata.deletionTimestamp) return reply(200, this.output(old, kind), neg.format)
      const marked = kind.canonical({
        ...old,
        metadata: {...old.metadata, deletionTimestamp: this.timestamp(), deletionGracePeriodSeconds: 0},
      })
      if (!dryRun) this.store.put(kind.resource, marked, 'MODIFIED')
      return reply(200, this.output(marked, kind), neg.format)
    }
    if (!dryRun) this.removeObject(kind, ns, name)
    return reply(200, success({name, kind: kind.resource, uid: old.metadata.uid}), neg.format)
  }

  private deleteCollection(req: ApiRequest, kind: KindSpec, ns: string): ApiReply {
    const neg = negotiate(req, false)
    const dryRun = this.dryRun(req)
    const labels = parseLabelSelector(req.query.get('labelSelector'))
    const fields = parseFieldSelector(req.query.get('fieldSelector'), kind.fieldSelectors)
    const victims = this.store.list(kind.resource, ns).filter((o) => labels.matches(o.metadata.labels) && fields(kind.fields(o)))
    const items = []
    for (const v of victims) {
      if (!dryRun) this.removeObject(kind, ns, v.metadata.name ?? '')
      const {kind: _k, apiVersion: _a, ...rest} = this.output(v, kind)
      items.push(rest)
    }
    return reply(
      200,
      {kind: kind.listKind, apiVersion: 'v1', metadata: {resourceVersion: String(this.store.resourceVersion)}, items},
      neg.format,
    )
  }

  private timestamp(): string {
    return new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
  }
}

function methodNotAllowed(): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server does not allow this method on the requested resource',
    reason: 'MethodNotAllowed',
    details: {},
    code: 405,
  })
}

function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? '')
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({v: 'meta.k8s.io/v1', rv, start})).toString('base64url')
}

function decodeContinue(token: string): {rv: number; start: string} {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {v?: string; rv?: number; start?: string}
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error('bad token')
    return {rv: parsed.rv, start: parsed.start}
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)')
  }
}

/** The leaf field paths of an applied configuration (maps are walked; lists and scalars are leaves). */
function fieldPaths(config: JsonObject, prefix = '', out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries(config)) {
    if (prefix === '' && (k === 'apiVersion' || k === 'kind')) continue
    // stringData is written into data: a key applied through either is owned in data.
    const path = prefix ? `${prefix}\u0000${k}` : k === 'stringData' ? 'data' : k
    if (isObject(v) && Object.keys(v).length > 0) fieldPaths(v, path, out)
    else out.add(path)
  }
  return out
}

function removePath(obj: JsonObject, path: string): JsonObject {
  const [head, ...rest] = path.split('\u0000')
  if (head === undefined || !(head in obj)) return obj
  const out = {...obj}
  if (rest.length === 0) delete out[head]
  else if (isObject(out[head] ?? null)) out[head] = removePath(out[head] as JsonObject, rest.join('\u0000'))
  return out
}

function stripNulls(v: Json): Json {
  if (!isObject(v)) return v
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, stripNulls(x)]),
  )
}
