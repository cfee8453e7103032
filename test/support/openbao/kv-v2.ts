/**
 * The KV version 2 engine (`builtin/logical/kv`): versions with `?version=`, check-and-set
 * (`options.cas`, `cas_required` on the mount or the key), merge-patch, soft delete / undelete /
 * destroy, metadata with custom metadata, `max_versions` trimming (the larger of the key's and
 * the mount's setting, 10 by default), `delete_version_after`, listing with `after`/`limit`, and
 * OpenBao's exact messages and status codes. A soft-deleted or destroyed version reads as 404
 * with the normal success body.
 */
import type {Backend, BackendRequest} from './backend.js'
import type {TimestampSource} from './clock.js'
import {formatGoDuration} from './durations.js'
import {FieldError, getBool, getDuration, getInt, getIntSlice, getMap, getString, has, type RequestData} from './fields.js'
import {fail, multiError, ok, raw, type LogicalResponse, type Operation, type Outcome} from './responses.js'

const DEFAULT_MAX_VERSIONS = 10

interface Stamp {
  ms: number
  text: string
}

interface VersionMeta {
  created: Stamp
  deletion: Stamp | null
  destroyed: boolean
  data: Record<string, unknown> | null
}

interface KeyMeta {
  key: string
  versions: Map<number, VersionMeta>
  currentVersion: number
  oldestVersion: number
  created: Stamp | null
  updated: Stamp | null
  maxVersions: number
  casRequired: boolean
  deleteVersionAfter: number
  customMetadata: Record<string, string> | null
}

export interface KvConfig {
  maxVersions: number
  casRequired: boolean
  metadataCasRequired: boolean
  /** Seconds; 0 unset. */
  deleteVersionAfter: number
  deleteVersionAfterDisabled: boolean
}

/** What a test peek sees of a key. */
export interface KvPeek {
  data: Record<string, unknown> | null
  version: number
  deleted: boolean
  destroyed: boolean
  customMetadata: Record<string, string> | null
}

const UNSUPPORTED_OPERATION = multiError('unsupported operation')

function clone<T>(value: T): T {
  return structuredClone(value)
}

function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch)
  const base: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? {...(target as Record<string, unknown>)} : {}
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key]
    else base[key] = applyMergePatch(base[key], value)
  }
  return base
}

function multiErrors(messages: string[]): string {
  if (messages.length === 1) return multiError(messages[0]!)
  return `${messages.length} errors occurred:\n${messages.map((m) => `\t* ${m}`).join('\n')}\n\n`
}

function isPrintable(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: OpenBao refuses control characters in custom metadata
  return !/[\u0000-\u001f\u007f-\u009f]/.test(s)
}

function validateCustomMetadata(cm: Record<string, string>): string | undefined {
  const prefix = 'custom_metadata validation failed'
  const keys = Object.keys(cm)
  if (keys.length > 64) return multiErrors([`${prefix}: payload must contain at most 64 keys, provided ${keys.length}`])
  const errs: string[] = []
  for (const key of keys) {
    const value = cm[key]!
    const kl = Buffer.byteLength(key)
    const vl = Buffer.byteLength(value)
    if (kl === 0 || kl > 128) errs.push(`${prefix}: length of key ${JSON.stringify(key)} is ${kl} but must be 0 < len(key) <= 128`)
    if (vl === 0 || vl > 512)
      errs.push(`${prefix}: length of value for key ${JSON.stringify(key)} is ${vl} but must be 0 < len(value) <= 512`)
    if (!isPrintable(key)) errs.push(`${prefix}: key ${JSON.stringify(key)} (${key}) contains unprintable characters`)
    if (!isPrintable(value)) errs.push(`${prefix}: value for key ${JSON.stringify(key)} contains unprintable characters`)
  }
  return errs.length ? multiErrors(errs) : undefined
}

function parseCustomMetadata(raw: Record<string, unknown>, filterNulls: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (filterNulls && v === null) continue
    out[k] = v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
  return out
}

export class KvV2Engine implements Backend {
  private readonly keys = new Map<string, KeyMeta>()
  readonly config: KvConfig = {
    maxVersions: 0,
    casRequired: false,
    metadataCasRequired: false,
    deleteVersionAfter: 0,
    deleteVersionAfterDisabled: false,
  }

  constructor(private readonly stamps: TimestampSource) {}

  exists(subPath: string): boolean | undefined {
    const m = /^(data|metadata)\/(.*)$/s.exec(subPath)
    if (!m) return undefined
    return this.keys.has(m[2]!)
  }

  readsSecretData(op: Operation, subPath: string): boolean {
    return op === 'read' && subPath.startsWith('data/')
  }

  handle(req: BackendRequest): Outcome {
    try {
      return this.route(req)
    } catch (err) {
      if (err instanceof FieldError) return fail(400, err.message)
      throw err
    }
  }

  /** A test peek at `key`: its latest version (or `version`), bypassing every check. */
  peek(key: string, version?: number): KvPeek | undefined {
    const meta = this.keys.get(key)
    if (!meta) return undefined
    const v = version ?? meta.currentVersion
    const vm = meta.versions.get(v)
    const now = this.stamps.nowMs()
    return {
      data: vm && !vm.destroyed ? clone(vm.data) : null,
      version: v,
      deleted: !!vm?.deletion && vm.deletion.ms <= now,
      destroyed: vm?.destroyed ?? false,
      customMetadata: meta.customMetadata ? {...meta.customMetadata} : null,
    }
  }

  /** Writes a new version directly (test seeding), ignoring check-and-set. */
  seed(key: string, data: Record<string, unknown>): number {
    const meta = this.keys.get(key) ?? this.newMeta(key)
    this.addVersion(meta, clone(data))
    this.keys.set(key, meta)
    return meta.currentVersion
  }

  /** Every key currently stored (for test assertions). */
  allKeys(): string[] {
    return [...this.keys.keys()].sort()
  }

  private route(req: BackendRequest): Outcome {
    const {operation: op, subPath, data} = req
    if (subPath === 'config') {
      if (op === 'read') return this.readConfig()
      if (op === 'create' || op === 'update') return this.writeConfig(data)
      return fail(405, UNSUPPORTED_OPERATION)
    }
    const m = /^(data|metadata|delete|undelete|destroy|subkeys)\/(.*)$/s.exec(subPath)
    if (!m) return this.invalidPath(req)
    const kind = m[1]!
    const key = m[2]!
    switch (kind) {
      case 'data':
        if (op === 'read') return this.readData(key, data)
        if (op === 'create' || op === 'update') return this.writeData(key, data)
        if (op === 'patch') return this.patchData(key, data)
        if (op === 'delete') return this.deleteLatest(key)
        break
      case 'metadata':
        if (op === 'read') return this.readMetadata(key)
        if (op === 'list') return this.list(key, data)
        if (op === 'create' || op === 'update') return this.writeMetadata(key, data)
        if (op === 'patch') return this.patchMetadata(key, data)
        if (op === 'delete') return this.deleteMetadata(key)
        break
      case 'delete':
      case 'undelete':
      case 'destroy':
        if (op === 'create' || op === 'update') return this.versionsOp(kind, key, data)
        break
      case 'subkeys':
        if (op === 'read') return this.subkeys(key, data)
        break
    }
    return fail(405, UNSUPPORTED_OPERATION)
  }

  private invalidPath(req: BackendRequest): Outcome {
    if (['metadata', 'data', 'delete', 'undelete', 'destroy'].includes(req.subPath)) {
      return raw(404, {warnings: ['Non-listing operations on the root of a K/V v2 mount are not supported.']})
    }
    const sub: Record<Operation, string> = {
      create: 'put',
      update: 'put',
      patch: 'patch',
      read: 'get',
      header: 'get',
      list: 'list',
      scan: 'scan',
      delete: 'delete',
    }
    return raw(404, {
      warnings: [
        `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the OpenBao CLI, use 'bao kv ${sub[req.operation]}' for this operation.`,
      ],
    })
  }

  private newMeta(key: string): KeyMeta {
    return {
      key,
      versions: new Map(),
      currentVersion: 0,
      oldestVersion: 0,
      created: null,
      updated: null,
      maxVersions: 0,
      casRequired: false,
      deleteVersionAfter: 0,
      customMetadata: null,
    }
  }

  private deletionTimeFor(now: Stamp, meta: KeyMeta): Stamp | null {
    if (this.config.deleteVersionAfterDisabled) return null
    const mount = this.config.deleteVersionAfter
    const own = meta.deleteVersionAfter
    let seconds = 0
    if (own > 0 && mount > 0) seconds = Math.min(own, mount)
    else if (own > 0) seconds = own
    else if (mount > 0) seconds = mount
    if (seconds <= 0) return null
    const ms = now.ms + seconds * 1000
    const suffix = now.text.slice(19)
    return {ms, text: new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19) + suffix}
  }

  /** `KeyMetadata.AddVersion`: appends a version and trims past the larger of the max_versions. */
  private addVersion(meta: KeyMeta, data: Record<string, unknown>): VersionMeta {
    const created = this.stamps.next()
    const vm: VersionMeta = {created, deletion: this.deletionTimeFor(created, meta), destroyed: false, data}
    meta.currentVersion++
    meta.versions.set(meta.currentVersion, vm)
    meta.updated = created
    if (!meta.created) meta.created = created
    const configured = Math.max(meta.maxVersions, this.config.maxVersions)
    const maxVersions = configured > 0 ? configured : DEFAULT_MAX_VERSIONS
    if (meta.currentVersion - meta.oldestVersion >= maxVersions) {
      const toDelete = meta.currentVersion - maxVersions
      for (let i = meta.oldestVersion; i < toDelete + 1; i++) meta.versions.delete(i)
      meta.oldestVersion = toDelete + 1
    }
    return vm
  }

  private isDeleted(vm: VersionMeta, now: number): boolean {
    return !!vm.deletion && vm.deletion.ms <= now
  }

  private versionMetadata(meta: KeyMeta, version: number, vm: VersionMeta): Record<string, unknown> {
    return {
      version,
      created_time: vm.created.text,
      deletion_time: vm.deletion?.text ?? '',
      destroyed: vm.destroyed,
      custom_metadata: meta.customMetadata ? {...meta.customMetadata} : null,
    }
  }

  private readData(key: string, data: RequestData): Outcome {
    const meta = this.keys.get(key)
    if (!meta) return ok(null)
    const param = getInt(data, 'version', 0)
    const version = param > 0 ? param : meta.currentVersion
    const vm = meta.versions.get(version)
    if (!vm) return ok(null)
    const response: LogicalResponse = {data: {data: null, metadata: this.versionMetadata(meta, version, vm)}}
    if (this.isDeleted(vm, this.stamps.nowMs()) || vm.destroyed) return raw(404, response)
    response.data!.data = clone(vm.data)
    return ok(response)
  }

  /** `validateCheckAndSetOption`; returns an error message or undefined. */
  private checkCas(data: RequestData, meta: KeyMeta): string | undefined {
    const options = getMap(data, 'options')
    if (options && Object.hasOwn(options, 'cas')) {
      const rawCas = options.cas
      let cas: number
      if (typeof rawCas === 'number' && Number.isFinite(rawCas)) cas = Math.trunc(rawCas)
      else if (typeof rawCas === 'string' && /^\s*-?[0-9]+\s*$/.test(rawCas)) cas = parseInt(rawCas, 10)
      else if (typeof rawCas === 'boolean') cas = rawCas ? 1 : 0
      else if (rawCas === null || rawCas === '') cas = 0
      else return 'error parsing check-and-set parameter'
      if (cas !== meta.currentVersion) return 'check-and-set parameter did not match the current version'
    } else if (this.config.casRequired || meta.casRequired) {
      return 'check-and-set parameter required for this call'
    }
    return undefined
  }

  private writeData(key: string, data: RequestData): Outcome {
    if (key === '') return fail(400, 'missing path')
    if (!has(data, 'data') || data!.data === null) return fail(400, 'no data provided')
    const payload = getMap(data, 'data')!
    const meta = this.keys.get(key) ?? this.newMeta(key)
    const casError = this.checkCas(data, meta)
    if (casError) return fail(400, casError)
    const vm = this.addVersion(meta, clone(payload))
    this.keys.set(key, meta)
    return ok({data: this.versionMetadata(meta, meta.currentVersion, vm)})
  }

  private patchData(key: string, data: RequestData): Outcome {
    if (!has(data, 'data')) return fail(400, 'no data provided')
    const meta = this.keys.get(key)
    if (!meta) return raw(404, null)
    const casError = this.checkCas(data, meta)
    if (casError) return fail(400, casError)
    const current = meta.versions.get(meta.currentVersion)
    if (!current) return raw(404, null)
    if (this.isDeleted(current, this.stamps.nowMs()) || current.destroyed) {
      return raw(404, {data: this.versionMetadata(meta, meta.currentVersion, current)})
    }
    const patch = data!.data
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return fail(400, 'no data provided')
    const merged = applyMergePatch(current.data ?? {}, patch) as Record<string, unknown>
    const vm = this.addVersion(meta, merged)
    return ok({data: this.versionMetadata(meta, meta.currentVersion, vm)})
  }

  private deleteLatest(key: string): Outcome {
    const meta = this.keys.get(key)
    if (!meta) return ok(null)
    const lv = meta.versions.get(meta.currentVersion)
    if (!lv || lv.destroyed) return ok(null)
    const now = this.stamps.current()
    if (this.isDeleted(lv, now.ms)) return ok(null)
    lv.deletion = now
    return ok(null)
  }

  private versionsOp(kind: 'delete' | 'undelete' | 'destroy', key: string, data: RequestData): Outcome {
    const versions = getIntSlice(data, 'versions')
    if (versions.length === 0) return fail(400, kind === 'destroy' ? 'no version number provided' : 'No version number provided')
    const meta = this.keys.get(key)
    if (!meta) return ok(null)
    const now = this.stamps.current()
    for (const v of versions) {
      const vm = meta.versions.get(v)
      if (!vm || vm.destroyed) continue
      if (kind === 'delete') {
        if (this.isDeleted(vm, now.ms)) continue
        vm.deletion = now
      } else if (kind === 'undelete') {
        vm.deletion = this.deletionTimeFor(now, meta)
      } else {
        vm.destroyed = true
        vm.data = null
      }
    }
    return ok(null)
  }

  private readMetadata(key: string): Outcome {
    const meta = this.keys.get(key)
    if (!meta) return ok(null)
    const versions: Record<string, unknown> = {}
    for (const [n, vm] of meta.versions) {
      versions[String(n)] = {created_time: vm.created.text, deletion_time: vm.deletion?.text ?? '', destroyed: vm.destroyed}
    }
    return ok({
      data: {
        versions,
        current_version: meta.currentVersion,
        oldest_version: meta.oldestVersion,
        created_time: meta.created?.text ?? '',
        updated_time: meta.updated?.text ?? '',
        max_versions: meta.maxVersions,
        cas_required: meta.casRequired,
        delete_version_after: formatGoDuration(meta.deleteVersionAfter),
        custom_metadata: meta.customMetadata ? {...meta.customMetadata} : null,
      },
    })
  }

  private list(prefix: string, data: RequestData): Outcome {
    const after = getString(data, 'after')
    let limit = getInt(data, 'limit', 0)
    if (limit <= 0) limit = -1
    const found = new Set<string>()
    for (const key of this.keys.keys()) {
      if (!key.startsWith(prefix)) continue
      const rest = key.slice(prefix.length)
      if (rest === '') continue
      const slash = rest.indexOf('/')
      found.add(slash >= 0 ? rest.slice(0, slash + 1) : rest)
    }
    let keys = [...found].sort()
    if (after) keys = keys.filter((k) => k > after)
    if (limit > 0) keys = keys.slice(0, limit)
    return ok({data: keys.length ? {keys} : {}})
  }

  private writeMetadata(key: string, data: RequestData): Outcome {
    if (key === '') return fail(400, 'missing path')
    const mOk = has(data, 'max_versions')
    const cOk = has(data, 'cas_required')
    const dOk = has(data, 'delete_version_after')
    const cmOk = has(data, 'custom_metadata')
    if (!mOk && !cOk && !dOk && !cmOk) return ok(null)
    let customMetadata: Record<string, string> = {}
    if (cmOk) {
      const rawMap = getMap(data, 'custom_metadata') ?? {}
      customMetadata = parseCustomMetadata(rawMap, false)
      const problem = validateCustomMetadata(customMetadata)
      if (problem) return fail(400, problem)
    }
    const maxVersions = mOk ? getInt(data, 'max_versions') : 0
    const casRequired = cOk ? getBool(data, 'cas_required') : false
    const dva = dOk ? getDuration(data, 'delete_version_after') : 0
    if (dva < 0) return fail(400, 'delete_version_after cannot be negative')
    let response: LogicalResponse | null = null
    if (cOk && this.config.casRequired && !casRequired) {
      response = {warnings: ['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']}
    }
    let meta = this.keys.get(key)
    if (!meta) {
      meta = this.newMeta(key)
      const now = this.stamps.next()
      meta.created = now
      meta.updated = now
      this.keys.set(key, meta)
    }
    if (mOk) meta.maxVersions = maxVersions
    if (cOk) meta.casRequired = casRequired
    if (dOk) meta.deleteVersionAfter = dva
    if (cmOk) meta.customMetadata = customMetadata
    return ok(response)
  }

  private patchMetadata(key: string, data: RequestData): Outcome {
    if (key === '') return fail(400, 'missing path')
    let cmPatch: Record<string, unknown> | undefined
    if (has(data, 'custom_metadata')) {
      cmPatch = getMap(data, 'custom_metadata') ?? {}
      const problem = validateCustomMetadata(parseCustomMetadata(cmPatch, true))
      if (problem) return fail(400, problem)
    }
    const meta = this.keys.get(key)
    if (!meta) return raw(404, null)
    let response: LogicalResponse | null = null
    if (has(data, 'cas_required') && this.config.casRequired && !getBool(data, 'cas_required')) {
      response = {warnings: ['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']}
    }
    if (has(data, 'max_versions')) meta.maxVersions = getInt(data, 'max_versions')
    if (has(data, 'cas_required')) meta.casRequired = getBool(data, 'cas_required')
    if (has(data, 'delete_version_after')) meta.deleteVersionAfter = getDuration(data, 'delete_version_after')
    if (cmPatch) {
      const merged = applyMergePatch(meta.customMetadata ?? {}, cmPatch) as Record<string, unknown>
      meta.customMetadata = parseCustomMetadata(merged, true)
    }
    return ok(response)
  }

  private deleteMetadata(key: string): Outcome {
    this.keys.delete(key)
    return ok(null)
  }

  private subkeys(key: string, data: RequestData): Outcome {
    const meta = this.keys.get(key)
    if (!meta) return ok(null)
    const param = getInt(data, 'version', 0)
    const depth = getInt(data, 'depth', 0)
    const version = param > 0 ? param : meta.currentVersion
    const vm = meta.versions.get(version)
    if (!vm) return ok(null)
    const response: LogicalResponse = {data: {subkeys: null, metadata: this.versionMetadata(meta, version, vm)}}
    if (this.isDeleted(vm, this.stamps.nowMs()) || vm.destroyed) return raw(404, response)
    const walk = (value: Record<string, unknown>, level: number): Record<string, unknown> => {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) {
        const nested = v !== null && typeof v === 'object' && !Array.isArray(v)
        out[k] = nested && (depth === 0 || level < depth) ? walk(v as Record<string, unknown>, level + 1) : null
      }
      return out
    }
    response.data!.subkeys = walk(vm.data ?? {}, 1)
    return ok(response)
  }

  private readConfig(): Outcome {
    return ok({
      data: {
        max_versions: this.config.maxVersions,
        cas_required: this.config.casRequired,
        metadata_cas_required: this.config.metadataCasRequired,
        delete_version_after: formatGoDuration(this.config.deleteVersionAfterDisabled ? 0 : this.config.deleteVersionAfter),
      },
    })
  }

  private writeConfig(data: RequestData): Outcome {
    const mOk = has(data, 'max_versions')
    const cOk = has(data, 'cas_required')
    const mcOk = has(data, 'metadata_cas_required')
    const dOk = has(data, 'delete_version_after')
    if (!mOk && !cOk && !mcOk && !dOk) return ok(null)
    if (mOk) this.config.maxVersions = getInt(data, 'max_versions')
    if (cOk) this.config.casRequired = getBool(data, 'cas_required')
    if (mcOk) this.config.metadataCasRequired = getBool(data, 'metadata_cas_required')
    if (dOk) {
      const dva = getDuration(data, 'delete_version_after')
      if (dva < 0) {
        this.config.deleteVersionAfterDisabled = true
        this.config.deleteVersionAfter = 0
      } else {
        this.config.deleteVersionAfterDisabled = false
        this.config.deleteVersionAfter = dva
      }
    }
    return ok(null)
  }
}
