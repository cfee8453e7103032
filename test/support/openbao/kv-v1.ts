/**
 * The KV version 1 engine (OpenBao's passthrough backend), for mounts enabled as `kv` without
 * `version=2`: read, write (the whole body is the secret), delete and list, no versions.
 */
import type {Backend, BackendRequest} from './backend.js'
import {fail, multiError, ok, type Operation, type Outcome} from './responses.js'

export class KvV1Engine implements Backend {
  private readonly entries = new Map<string, Record<string, unknown>>()

  exists(subPath: string): boolean | undefined {
    return this.entries.has(subPath)
  }

  readsSecretData(op: Operation): boolean {
    return op === 'read'
  }

  peek(key: string): Record<string, unknown> | undefined {
    const v = this.entries.get(key)
    return v ? structuredClone(v) : undefined
  }

  /** Hands every entry over (used when a mount is upgraded to version 2). */
  drain(): [string, Record<string, unknown>][] {
    const all = [...this.entries.entries()]
    this.entries.clear()
    return all
  }

  handle(req: BackendRequest): Outcome {
    const key = req.subPath
    switch (req.operation) {
      case 'read': {
        const v = this.entries.get(key)
        return ok(v ? {data: structuredClone(v)} : null)
      }
      case 'create':
      case 'update': {
        if (key === '') return fail(400, 'missing path')
        if (!req.data || Object.keys(req.data).length === 0) return fail(400, 'missing data fields')
        this.entries.set(key, structuredClone(req.data))
        return ok(null)
      }
      case 'delete':
        this.entries.delete(key)
        return ok(null)
      case 'list': {
        const found = new Set<string>()
        for (const k of this.entries.keys()) {
          if (!k.startsWith(key)) continue
          const rest = k.slice(key.length)
          if (!rest) continue
          const slash = rest.indexOf('/')
          found.add(slash >= 0 ? rest.slice(0, slash + 1) : rest)
        }
        const keys = [...found].sort()
        return ok({data: keys.length ? {keys} : {}})
      }
      default:
        return fail(405, multiError('unsupported operation'))
    }
  }
}
