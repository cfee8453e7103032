/**
 * One namespace's mount table (`/sys/mounts`): the built-in `sys/`, `cubbyhole/` and `identity/`
 * entries, `secret/` as KV v2 in dev mode, enabling (`kv`, `kv-v2`, `generic`) with OpenBao's
 * conflict message `path is already in use at <mount>`, disabling, tuning `options.version`, the
 * listing shape, and longest-prefix routing of a request path to its mount.
 */
import type {Backend} from './backend.js'
import type {TimestampSource} from './clock.js'
import {mountAccessor, uuid} from './ids.js'
import {KvV1Engine} from './kv-v1.js'
import {KvV2Engine} from './kv-v2.js'

export interface MountEntry {
  path: string
  type: string
  description: string
  accessor: string
  uuid: string
  options: Record<string, string> | null
  local: boolean
  sealWrap: boolean
  config: {defaultLeaseTtl: number; maxLeaseTtl: number; forceNoCache: boolean}
  /** The engine serving requests, or null for built-ins the test server does not implement. */
  engine: Backend | null
  builtin: boolean
}

export class MountError extends Error {}

const PROTECTED = ['sys/', 'cubbyhole/', 'identity/']

/** `secret` / `/secret/` / `secret/` → `secret/`. */
export function normalizeMountPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '')
  return `${trimmed}/`
}

export class MountTable {
  private readonly mounts = new Map<string, MountEntry>()

  constructor(private readonly stamps: TimestampSource) {
    this.addBuiltin('cubbyhole/', 'cubbyhole', 'per-token private secret storage', true)
    this.addBuiltin('identity/', 'identity', 'identity store', false)
    this.addBuiltin('sys/', 'system', 'system endpoints used for control, policy and debugging', false)
  }

  private addBuiltin(path: string, type: string, description: string, local: boolean): void {
    this.mounts.set(path, {
      path,
      type,
      description,
      accessor: mountAccessor(type),
      uuid: uuid(),
      options: null,
      local,
      sealWrap: false,
      config: {defaultLeaseTtl: 0, maxLeaseTtl: 0, forceNoCache: false},
      engine: null,
      builtin: true,
    })
  }

  /** Enables a secrets engine. Throws `MountError` with OpenBao's message on refusal. */
  enable(
    rawPath: string,
    type: string,
    opts: {description?: string; options?: Record<string, string> | null; local?: boolean; sealWrap?: boolean} = {},
  ): MountEntry {
    const path = normalizeMountPath(rawPath)
    if (path === '/') throw new MountError('missing mount path')
    if (path.startsWith('auth/')) throw new MountError(`cannot mount under ${JSON.stringify('auth/')}`)
    for (const existing of this.mounts.keys()) {
      if (path.startsWith(existing) || existing.startsWith(path)) throw new MountError(`path is already in use at ${existing}`)
    }
    let logicalType = type
    const options: Record<string, string> = {...(opts.options ?? {})}
    if (type === 'kv-v2') {
      logicalType = 'kv'
      options.version = '2'
    } else if (type === 'kv-v1') {
      logicalType = 'kv'
      options.version = '1'
    }
    if (logicalType !== 'kv' && logicalType !== 'generic') throw new MountError(`plugin not found in the catalog: ${type}`)
    const version = options.version ?? ''
    if (version !== '' && version !== '1' && version !== '2') throw new MountError(`invalid KV version ${JSON.stringify(version)}`)
    const entry: MountEntry = {
      path,
      type: logicalType,
      description: opts.description ?? '',
      accessor: mountAccessor(logicalType),
      uuid: uuid(),
      options:
        logicalType === 'kv' ? (Object.keys(options).length ? options : {version: '1'}) : Object.keys(options).length ? options : null,
      local: opts.local ?? false,
      sealWrap: opts.sealWrap ?? false,
      config: {defaultLeaseTtl: 0, maxLeaseTtl: 0, forceNoCache: false},
      engine: version === '2' ? new KvV2Engine(this.stamps) : new KvV1Engine(),
      builtin: false,
    }
    this.mounts.set(path, entry)
    return entry
  }

  /** Disables a mount; absent mounts are not an error. Throws for the built-ins. */
  disable(rawPath: string): void {
    const path = normalizeMountPath(rawPath)
    if (PROTECTED.includes(path)) throw new MountError(`cannot unmount ${JSON.stringify(path)}`)
    this.mounts.delete(path)
  }

  /** Changes a KV mount's version through tune (`options.version`); 1 → 2 upgrades the data. */
  tuneVersion(rawPath: string, version: string): void {
    const entry = this.get(rawPath)
    if (!entry) throw new MountError(`no mount entry found for path ${normalizeMountPath(rawPath)}`)
    if (entry.type !== 'kv') return
    const current = entry.options?.version ?? '1'
    if (version === current) return
    if (version === '2' && entry.engine instanceof KvV1Engine) {
      const engine = new KvV2Engine(this.stamps)
      for (const [key, value] of entry.engine.drain()) engine.seed(key, value)
      entry.engine = engine
      entry.options = {...(entry.options ?? {}), version: '2'}
      return
    }
    throw new MountError('cannot downgrade mount from KV version 2 to version 1')
  }

  get(rawPath: string): MountEntry | undefined {
    return this.mounts.get(normalizeMountPath(rawPath))
  }

  /** The mount serving `path` (longest prefix), with the path below it. */
  match(path: string): {entry: MountEntry; subPath: string} | undefined {
    let best: MountEntry | undefined
    for (const [mountPath, entry] of this.mounts) {
      if ((path.startsWith(mountPath) || `${path}/` === mountPath) && (!best || mountPath.length > best.path.length)) best = entry
    }
    if (!best) return undefined
    return {entry: best, subPath: path.length >= best.path.length ? path.slice(best.path.length) : ''}
  }

  all(): MountEntry[] {
    return [...this.mounts.values()].sort((a, b) => (a.path < b.path ? -1 : 1))
  }
}

/** The JSON OpenBao returns for one mount (`sys/mounts`, `sys/mounts/:path`). */
export function mountInfo(entry: MountEntry): Record<string, unknown> {
  const info: Record<string, unknown> = {
    accessor: entry.accessor,
    config: {
      default_lease_ttl: entry.config.defaultLeaseTtl,
      force_no_cache: entry.config.forceNoCache,
      max_lease_ttl: entry.config.maxLeaseTtl,
    },
    description: entry.description,
    external_entropy_access: false,
    local: entry.local,
    options: entry.options,
    plugin_version: '',
    running_plugin_version: entry.type === 'kv' ? 'v0.13.0+builtin' : 'v2.0.0+builtin.openbao',
    running_sha256: '',
    seal_wrap: entry.sealWrap,
    type: entry.type,
    uuid: entry.uuid,
  }
  if (entry.type === 'kv') info.deprecation_status = 'supported'
  return info
}
