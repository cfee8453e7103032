/**
 * What the server knows about its two kinds, Secret and Namespace (core/v1): how a request body
 * is decoded (unknown fields, types, base64 `data`, `stringData` merged into `data`), defaulted,
 * validated on create and update, written back in the API's field order, shown as a Table row,
 * and which fields a field selector may name. The REST verbs themselves are generic (rest.ts).
 */
import {badRequest, type FieldError} from './status.js'
import {
  decodeBase64Std,
  isDns1123Label,
  isDns1123Subdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateSecretData,
} from './validation.js'

/** A stored object, in the JSON shape the API returns. */
export type KubeObject = {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  [field: string]: unknown
}

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  deletionGracePeriodSeconds?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: Record<string, unknown>[]
  finalizers?: string[]
  managedFields?: unknown[]
}

export interface TableColumn {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

export interface DecodeResult {
  object: KubeObject
  /** Unknown fields found (dotted paths), for fieldValidation Strict/Warn. */
  unknownFields: string[]
}

export interface KindSpec {
  kind: 'Secret' | 'Namespace'
  listKind: string
  resource: 'secrets' | 'namespaces'
  singular: string
  shortNames: string[]
  namespaced: boolean
  verbs: string[]
  storageVersionHash: string
  /** Decodes a body (create, update, or a patch result) into the stored shape; throws 400 on type errors. */
  decode(body: unknown): DecodeResult
  /** Defaults and server-owned fields on create (after system fields are set). */
  prepareForCreate(obj: KubeObject): void
  /** Keeps what an update may not change. */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void
  validateCreate(obj: KubeObject): FieldError[]
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[]
  /** The object with fields in the API's order (what is stored and returned). */
  canonical(obj: KubeObject): KubeObject
  /** The columns `kubectl get` shows (pkg/printers/internalversion), and each object's cells. */
  tableColumns: TableColumn[]
  tableCells(obj: KubeObject, nowMs: number): unknown[]
  fieldSelectors: string[]
  fields(obj: KubeObject): Record<string, string>
  /** Whether reading this kind returns secret values. */
  holdsSecretData: boolean
}

const META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
])

function goType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'object') return 'object'
  return typeof v
}

function cannotHandle(kind: string, why: string): never {
  throw badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${why}`)
}

function typeError(kind: string, value: unknown, field: string, goTarget: string): never {
  cannotHandle(kind, `json: cannot unmarshal ${goType(value)} into Go struct field ${field} of type ${goTarget}`)
}

function stringMap(kind: string, value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) typeError(kind, value, field, 'map[string]string')
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null) continue
    if (typeof v !== 'string') typeError(kind, v, field, 'string')
    out[k] = v
  }
  return out
}

function sortedMap<T>(m: Record<string, T> | undefined): Record<string, T> | undefined {
  if (!m) return undefined
  const keys = Object.keys(m).sort()
  if (keys.length === 0) return undefined
  return Object.fromEntries(keys.map((k) => [k, m[k]!]))
}

/** Decodes `metadata` with Go's types (unknown fields collected). */
function decodeMeta(kind: string, raw: unknown, unknown: string[]): ObjectMeta {
  if (raw === undefined || raw === null) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) typeError(kind, raw, `${kind}.metadata`, 'v1.ObjectMeta')
  const m = raw as Record<string, unknown>
  const meta: ObjectMeta = {}
  for (const key of Object.keys(m)) if (!META_FIELDS.has(key)) unknown.push(`metadata.${key}`)
  const str = (k: keyof ObjectMeta) => {
    const v = m[k]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string') typeError(kind, v, `${kind}.metadata.${k}`, 'string')
    return v
  }
  meta.name = str('name')
  meta.generateName = str('generateName')
  meta.namespace = str('namespace')
  meta.uid = str('uid')
  meta.resourceVersion = str('resourceVersion')
  if (m.generation !== undefined && m.generation !== null) {
    if (typeof m.generation !== 'number') typeError(kind, m.generation, `${kind}.metadata.generation`, 'int64')
    meta.generation = m.generation
  }
  meta.creationTimestamp = str('creationTimestamp')
  meta.deletionTimestamp = str('deletionTimestamp')
  meta.labels = stringMap(kind, m.labels, `${kind}.metadata.labels`)
  meta.annotations = stringMap(kind, m.annotations, `${kind}.metadata.annotations`)
  if (m.ownerReferences !== undefined && m.ownerReferences !== null) {
    if (!Array.isArray(m.ownerReferences)) typeError(kind, m.ownerReferences, `${kind}.metadata.ownerReferences`, '[]v1.OwnerReference')
    meta.ownerReferences = m.ownerReferences as Record<string, unknown>[]
  }
  if (m.finalizers !== undefined && m.finalizers !== null) {
    if (!Array.isArray(m.finalizers) || m.finalizers.some((f) => typeof f !== 'string')) {
      typeError(kind, m.finalizers, `${kind}.metadata.finalizers`, '[]string')
    }
    meta.finalizers = m.finalizers as string[]
  }
  for (const k of Object.keys(meta) as (keyof ObjectMeta)[]) if (meta[k] === undefined) delete meta[k]
  return meta
}

function canonicalMeta(meta: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = {}
  const order: (keyof ObjectMeta)[] = [
    'name',
    'generateName',
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'labels',
    'annotations',
    'ownerReferences',
    'finalizers',
  ]
  for (const k of order) {
    let v: unknown = meta[k]
    if (k === 'labels' || k === 'annotations') v = sortedMap(v as Record<string, string> | undefined)
    if ((k === 'ownerReferences' || k === 'finalizers') && Array.isArray(v) && v.length === 0) v = undefined
    if (v !== undefined && v !== '') (out as Record<string, unknown>)[k] = v
  }
  return out
}

function checkTypeMeta(kind: string, body: Record<string, unknown>): void {
  if (body.kind !== undefined && body.kind !== kind) {
    throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${kind})`)
  }
  if (body.apiVersion !== undefined && body.apiVersion !== 'v1') {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (v1)`)
  }
}

function bodyObject(kind: string, body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) typeError(kind, body, kind, `v1.${kind}`)
  return body as Record<string, unknown>
}

/** Human-readable age, k8s.io/apimachinery `pkg/util/duration.HumanDuration`. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.trunc(seconds / 60)
  if (minutes < 10) {
    const s = seconds % 60
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`
  }
  if (minutes < 180) return `${minutes}m`
  const hours = Math.trunc(minutes / 60)
  if (hours < 8) {
    const m = minutes % 60
    return m === 0 ? `${hours}h` : `${hours}h${m}m`
  }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) {
    const h = hours % 24
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`
  }
  return `${Math.trunc(hours / 24 / 365)}y`
}

function age(obj: KubeObject, nowMs: number): string {
  const created = obj.metadata.creationTimestamp
  return created ? humanDuration(nowMs - Date.parse(created)) : '<unknown>'
}

const NAME_COLUMN: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
}

const AGE_COLUMN: TableColumn = {
  name: 'Age',
  type: 'string',
  format: '',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  priority: 0,
}

const SECRET_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'immutable'])

/** The decoded data of a Secret, as bytes (validation works on bytes; storage re-encodes them). */
const secretBytes = new WeakMap<KubeObject, Record<string, Buffer>>()

export const secretKind: KindSpec = {
  kind: 'Secret',
  listKind: 'SecretList',
  resource: 'secrets',
  singular: 'secret',
  shortNames: [],
  namespaced: true,
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  storageVersionHash: 'S6u1pOWzb84=',
  holdsSecretData: true,
  decode(raw) {
    const body = bodyObject('Secret', raw)
    checkTypeMeta('Secret', body)
    const unknownFields = Object.keys(body).filter((k) => !SECRET_FIELDS.has(k))
    const metadata = decodeMeta('Secret', body.metadata, unknownFields)
    const data: Record<string, Buffer> = {}
    if (body.data !== undefined && body.data !== null) {
      if (typeof body.data !== 'object' || Array.isArray(body.data)) typeError('Secret', body.data, 'Secret.data', 'map[string][]uint8')
      for (const [k, v] of Object.entries(body.data as Record<string, unknown>)) {
        if (v === null) {
          data[k] = Buffer.alloc(0)
          continue
        }
        if (typeof v !== 'string') typeError('Secret', v, 'Secret.data', '[]uint8')
        const decoded = decodeBase64Std(v)
        if (!Buffer.isBuffer(decoded)) cannotHandle('Secret', `illegal base64 data at input byte ${decoded.badByte}`)
        data[k] = decoded
      }
    }
    // stringData is write-only: merged into data, overwriting, and never stored.
    const stringData = stringMap('Secret', body.stringData, 'Secret.stringData')
    for (const [k, v] of Object.entries(stringData ?? {})) data[k] = Buffer.from(v, 'utf8')
    if (body.type !== undefined && body.type !== null && typeof body.type !== 'string')
      typeError('Secret', body.type, 'Secret.type', 'v1.SecretType')
    if (body.immutable !== undefined && body.immutable !== null && typeof body.immutable !== 'boolean') {
      typeError('Secret', body.immutable, 'Secret.immutable', 'bool')
    }
    const object: KubeObject = {apiVersion: 'v1', kind: 'Secret', metadata}
    if (typeof body.immutable === 'boolean') object.immutable = body.immutable
    object.type = (body.type as string | undefined) || 'Opaque'
    secretBytes.set(object, data)
    object.data = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString('base64')]))
    return {object, unknownFields}
  },
  prepareForCreate() {},
  prepareForUpdate() {},
  validateCreate(obj) {
    const errs = validateObjectMeta(obj.metadata, true, isDns1123Subdomain)
    errs.push(...validateSecretData(String(obj.type), bytesOf(obj), obj.metadata.annotations))
    return errs
  },
  validateUpdate(obj, old) {
    const errs = validateObjectMetaUpdate(obj.metadata, old.metadata, true)
    if (obj.type !== old.type) errs.push({type: 'FieldValueInvalid', field: 'type', value: obj.type, detail: 'field is immutable'})
    if (old.immutable === true) {
      if (obj.immutable !== true)
        errs.push({type: 'FieldValueForbidden', field: 'immutable', detail: 'field is immutable when `immutable` is set'})
      if (
        JSON.stringify(sortedMap(obj.data as Record<string, string>) ?? {}) !==
        JSON.stringify(sortedMap(old.data as Record<string, string>) ?? {})
      ) {
        errs.push({type: 'FieldValueForbidden', field: 'data', detail: 'field is immutable when `immutable` is set'})
      }
    }
    errs.push(...validateSecretData(String(obj.type), bytesOf(obj), obj.metadata.annotations))
    return errs
  },
  canonical(obj) {
    const out: KubeObject = {kind: 'Secret', apiVersion: 'v1', metadata: canonicalMeta(obj.metadata)}
    if (typeof obj.immutable === 'boolean') out.immutable = obj.immutable
    const data = sortedMap(obj.data as Record<string, string> | undefined)
    if (data) out.data = data
    out.type = obj.type ?? 'Opaque'
    return out
  },
  tableColumns: [
    NAME_COLUMN,
    {
      name: 'Type',
      type: 'string',
      format: '',
      description:
        'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
      priority: 0,
    },
    {
      name: 'Data',
      type: 'string',
      format: '',
      description:
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
      priority: 0,
    },
    AGE_COLUMN,
  ],
  tableCells(obj, nowMs) {
    return [obj.metadata.name, obj.type, Object.keys((obj.data as Record<string, string>) ?? {}).length, age(obj, nowMs)]
  },
  fieldSelectors: ['metadata.name', 'metadata.namespace', 'type'],
  fields(obj) {
    return {'metadata.name': obj.metadata.name ?? '', 'metadata.namespace': obj.metadata.namespace ?? '', type: String(obj.type ?? '')}
  },
}

function bytesOf(obj: KubeObject): Record<string, Buffer> {
  const known = secretBytes.get(obj)
  if (known) return known
  return Object.fromEntries(Object.entries((obj.data as Record<string, string>) ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
}

const NAMESPACE_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status'])

export const namespaceKind: KindSpec = {
  kind: 'Namespace',
  listKind: 'NamespaceList',
  resource: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  storageVersionHash: 'Q3oi5N2YM8M=',
  holdsSecretData: false,
  decode(raw) {
    const body = bodyObject('Namespace', raw)
    checkTypeMeta('Namespace', body)
    const unknownFields = Object.keys(body).filter((k) => !NAMESPACE_FIELDS.has(k))
    const metadata = decodeMeta('Namespace', body.metadata, unknownFields)
    const object: KubeObject = {apiVersion: 'v1', kind: 'Namespace', metadata}
    if (body.spec !== undefined && body.spec !== null) {
      if (typeof body.spec !== 'object' || Array.isArray(body.spec)) typeError('Namespace', body.spec, 'Namespace.spec', 'v1.NamespaceSpec')
      const spec = body.spec as Record<string, unknown>
      for (const k of Object.keys(spec)) if (k !== 'finalizers') unknownFields.push(`spec.${k}`)
      if (spec.finalizers !== undefined && spec.finalizers !== null) {
        if (!Array.isArray(spec.finalizers)) typeError('Namespace', spec.finalizers, 'Namespace.spec.finalizers', '[]v1.FinalizerName')
        object.spec = {finalizers: spec.finalizers}
      }
    }
    if (body.status !== undefined && body.status !== null && typeof body.status === 'object') object.status = body.status
    return {object, unknownFields}
  },
  prepareForCreate(obj) {
    // The server owns status, defaults the `kubernetes` finalizer and labels every namespace with its name.
    obj.spec = {finalizers: ['kubernetes']}
    obj.status = {phase: 'Active'}
    obj.metadata.labels = {...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? ''}
  },
  prepareForUpdate(obj, old) {
    obj.spec = old.spec
    obj.status = old.status
    obj.metadata.labels = {...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? ''}
  },
  validateCreate(obj) {
    return validateObjectMeta(obj.metadata, false, isDns1123Label)
  },
  validateUpdate(obj, old) {
    return validateObjectMetaUpdate(obj.metadata, old.metadata, false)
  },
  canonical(obj) {
    const out: KubeObject = {kind: 'Namespace', apiVersion: 'v1', metadata: canonicalMeta(obj.metadata)}
    out.spec = obj.spec ?? {}
    out.status = obj.status ?? {}
    return out
  },
  tableColumns: [
    NAME_COLUMN,
    {name: 'Status', type: 'string', format: '', description: 'The status of the namespace', priority: 0},
    AGE_COLUMN,
  ],
  tableCells(obj, nowMs) {
    return [obj.metadata.name, (obj.status as {phase?: string} | undefined)?.phase ?? '', age(obj, nowMs)]
  },
  fieldSelectors: ['metadata.name', 'status.phase'],
  fields(obj) {
    return {'metadata.name': obj.metadata.name ?? '', 'status.phase': (obj.status as {phase?: string} | undefined)?.phase ?? ''}
  },
}

export const KINDS: KindSpec[] = [namespaceKind, secretKind]

export function kindByResource(resource: string): KindSpec | undefined {
  return KINDS.find((k) => k.resource === resource)
}
