/**
 * Bearer tokens and what each may do. Every token is a user (the request log records the user,
 * never the token); the admin token may do everything, other tokens carry RBAC-like rules
 * (verbs on resources, in a list of namespaces or cluster-wide, optionally by resource name),
 * checked for every resource request as the API server's RBAC authorizer does, with its 403
 * text (`User "u" cannot get resource "secrets" in API group "" in the namespace "ns"`).
 */
import {randomBytes} from 'node:crypto'

/** One rule, a Role's rule bound in `namespaces` (or a ClusterRole's, cluster-wide, when omitted). */
export interface PolicyRule {
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or `*`. */
  verbs: string[]
  /** `secrets`, `namespaces`, or `*`. */
  resources: string[]
  /** Namespaces the rule applies in; omitted = every namespace and the cluster scope (namespaces list/create). */
  namespaces?: string[]
  /** Restricts the rule to these object names (never matches list, watch or create, as in RBAC). */
  resourceNames?: string[]
}

export interface Identity {
  user: string
  groups: string[]
  admin: boolean
  rules: PolicyRule[]
}

/** What a request asks to do (the API server's authorizer.Attributes). */
export interface RequestAttributes {
  verb: string
  resource: string
  /** The request's namespace; for `namespaces/NAME` it is NAME; '' at the cluster scope. */
  namespace: string
  name: string
}

export class TokenStore {
  private readonly byToken = new Map<string, Identity>()

  add(token: string, identity: Identity): void {
    this.byToken.set(token, identity)
  }

  /** A fresh random token for `identity`. */
  issue(identity: Identity): string {
    const token = `kst-${randomBytes(18).toString('base64url')}`
    this.byToken.set(token, identity)
    return token
  }

  lookup(token: string): Identity | undefined {
    return this.byToken.get(token)
  }

  revoke(token: string): boolean {
    return this.byToken.delete(token)
  }

  /** Revokes every token of a user; returns how many. */
  revokeUser(user: string): number {
    let n = 0
    for (const [token, identity] of this.byToken) {
      if (identity.user === user) {
        this.byToken.delete(token)
        n++
      }
    }
    return n
  }
}

function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(attrs.verb)) return false
  if (!rule.resources.includes('*') && !rule.resources.includes(attrs.resource)) return false
  if (rule.namespaces && !rule.namespaces.includes('*') && !(attrs.namespace && rule.namespaces.includes(attrs.namespace))) return false
  if (rule.resourceNames && rule.resourceNames.length > 0 && !(attrs.name && rule.resourceNames.includes(attrs.name))) return false
  return true
}

export function authorize(identity: Identity, attrs: RequestAttributes): boolean {
  return identity.admin || identity.rules.some((r) => ruleAllows(r, attrs))
}

/** The reason part of the API server's 403 for a resource request. */
export function forbiddenReason(identity: Identity, attrs: RequestAttributes): string {
  const where = attrs.namespace ? `in the namespace ${JSON.stringify(attrs.namespace)}` : 'at the cluster scope'
  return `User ${JSON.stringify(identity.user)} cannot ${attrs.verb} resource ${JSON.stringify(attrs.resource)} in API group "" ${where}`
}

const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*'])
const RESOURCES = new Set(['secrets', 'namespaces', '*'])

/** Checks rules given by a test (or over the test-control API); throws on a typo. */
export function checkRules(rules: PolicyRule[]): PolicyRule[] {
  if (!Array.isArray(rules)) throw new Error('rules must be a list')
  return rules.map((r, i) => {
    if (!Array.isArray(r.verbs) || r.verbs.length === 0) throw new Error(`rules[${i}].verbs must be a non-empty list`)
    for (const v of r.verbs)
      if (!VERBS.has(v)) throw new Error(`rules[${i}].verbs: unknown verb ${JSON.stringify(v)} (known: ${[...VERBS].join(', ')})`)
    if (!Array.isArray(r.resources) || r.resources.length === 0) throw new Error(`rules[${i}].resources must be a non-empty list`)
    for (const res of r.resources) {
      if (!RESOURCES.has(res))
        throw new Error(`rules[${i}].resources: unknown resource ${JSON.stringify(res)} (known: ${[...RESOURCES].join(', ')})`)
    }
    if (r.namespaces !== undefined && !Array.isArray(r.namespaces)) throw new Error(`rules[${i}].namespaces must be a list`)
    if (r.resourceNames !== undefined && !Array.isArray(r.resourceNames)) throw new Error(`rules[${i}].resourceNames must be a list`)
    return {
      verbs: [...r.verbs],
      resources: [...r.resources],
      ...(r.namespaces ? {namespaces: [...r.namespaces]} : {}),
      ...(r.resourceNames ? {resourceNames: [...r.resourceNames]} : {}),
    }
  })
}
