/**
 * Namespaces (`X-Vault-Namespace`, or a namespace path in front of the request path): each has
 * its own mount table, policies and token roles; tokens record the namespace they were created
 * in. The root namespace has the id `root` and the path `''`; children have 5-character ids and
 * paths such as `team-a/` or `team-a/dev/`.
 */
import type {TimestampSource} from './clock.js'
import {namespaceId} from './ids.js'
import {MountTable} from './mounts.js'
import {PolicyStore} from './policy-store.js'
import type {TokenRole} from './token-store.js'

export class NamespaceState {
  readonly children = new Map<string, NamespaceState>()
  readonly mounts: MountTable
  readonly policies: PolicyStore
  readonly roles = new Map<string, TokenRole>()
  customMetadata: Record<string, string> = {}
  deleted = false

  constructor(
    readonly id: string,
    /** `''` for root, else `a/` or `a/b/`. */
    readonly path: string,
    readonly parent: NamespaceState | null,
    stamps: TimestampSource,
    now: () => number,
  ) {
    this.mounts = new MountTable(stamps)
    this.policies = new PolicyStore(parent === null, now)
  }

  get isRoot(): boolean {
    return this.parent === null
  }

  /** Whether this namespace is `other` or one of its ancestors. */
  isAncestorOrSelf(other: NamespaceState): boolean {
    for (let n: NamespaceState | null = other; n; n = n.parent) if (n === this) return true
    return false
  }
}

export class NamespaceRegistry {
  readonly root: NamespaceState
  private readonly byId = new Map<string, NamespaceState>()

  constructor(
    private readonly stamps: TimestampSource,
    private readonly now: () => number,
  ) {
    this.root = new NamespaceState('root', '', null, stamps, now)
    this.byId.set('root', this.root)
  }

  getById(id: string): NamespaceState | undefined {
    const ns = this.byId.get(id)
    return ns && !ns.deleted ? ns : undefined
  }

  /** The namespace at `path` (`a/b`, `/a/b/`) below `from`; undefined when any segment is missing. */
  resolve(path: string, from: NamespaceState = this.root): NamespaceState | undefined {
    let current = from
    for (const segment of path.split('/').filter((s) => s !== '')) {
      const next = current.children.get(segment)
      if (!next) return undefined
      current = next
    }
    return current
  }

  /**
   * Creates `name` (one or more segments) below `parent`, or returns the existing one. Throws
   * with OpenBao-like messages for invalid names.
   */
  create(name: string, parent: NamespaceState = this.root): NamespaceState {
    const segments = name.split('/').filter((s) => s !== '')
    if (segments.length === 0) throw new Error('namespace path must not be empty')
    let current = parent
    for (const segment of segments) {
      if (
        !/^[A-Za-z0-9._-]+$/.test(segment) ||
        segment === 'root' ||
        segment === 'sys' ||
        segment === 'auth' ||
        segment === 'cubbyhole' ||
        segment === 'identity'
      ) {
        throw new Error(`${JSON.stringify(segment)} is not a valid namespace name`)
      }
      let next = current.children.get(segment)
      if (!next) {
        let id = namespaceId()
        while (this.byId.has(id)) id = namespaceId()
        next = new NamespaceState(id, `${current.path}${segment}/`, current, this.stamps, this.now)
        current.children.set(segment, next)
        this.byId.set(id, next)
      }
      current = next
    }
    return current
  }

  /** Deletes `ns` (which must have no children). */
  delete(ns: NamespaceState): string | undefined {
    if (ns.isRoot) return 'cannot delete root namespace'
    if (ns.children.size > 0) return `cannot delete namespace (${JSON.stringify(ns.path)}) containing child namespaces`
    ns.deleted = true
    const name = ns.path.slice(ns.parent!.path.length).replace(/\/$/, '')
    ns.parent!.children.delete(name)
    this.byId.delete(ns.id)
    return undefined
  }
}
