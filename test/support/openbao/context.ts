/**
 * What a system or token-store handler gets for one request: the operation and namespace-relative
 * path, the body/query fields, the namespace, the caller's token (already checked), a sudo test
 * against the caller's ACL, and the server state it may change.
 */
import type {Acl} from './acl.js'
import type {TestClock} from './clock.js'
import type {RequestData} from './fields.js'
import type {NamespaceRegistry, NamespaceState} from './namespaces.js'
import type {Operation} from './responses.js'
import type {TokenEntry, TokenStore} from './token-store.js'

export interface ServerCore {
  readonly clock: TestClock
  readonly tokens: TokenStore
  readonly namespaces: NamespaceRegistry
  readonly version: string
  readonly clusterName: string
  readonly clusterId: string
  /** The ACL for `token` when used in `ns`. */
  aclFor(token: TokenEntry, ns: NamespaceState): Acl
}

export interface RequestContext {
  requestId: string
  operation: Operation
  /** Namespace-relative logical path, e.g. `auth/token/create` (list paths end with `/`). */
  path: string
  data: RequestData
  namespace: NamespaceState
  /** The caller's token; null only on unauthenticated paths. */
  token: TokenEntry | null
  acl: Acl | null
  /** What to put in front of a namespace-relative path for the caller's ACL (the namespace path below the token's). */
  aclPrefix: string
  /** Whether the caller holds `sudo` (or root) on the namespace-relative `path`. */
  isSudo(path: string): boolean
  core: ServerCore
}
