/**
 * An ACL built from a token's policies and the check OpenBao runs on every request
 * (`vault/acl.go`): rules for the same path from several policies are merged (deny wins there);
 * an exact rule beats everything; otherwise the longest `*` prefix and the `+` segment patterns
 * compete and the most specific wins — later first wildcard, then not a prefix, then fewer `+`,
 * then longer, then lexically greater. `root` allows everything.
 */
import {CAP, capabilityNames, type ParsedPolicy} from './policy.js'
import type {Operation} from './responses.js'

export interface AclResult {
  allowed: boolean
  /** The matched rule grants `sudo` (or the token is root). */
  rootPrivs: boolean
  isRoot: boolean
  capabilities: number
}

interface Candidate {
  firstWildcard: number
  wildcards: number
  isPrefix: boolean
  path: string
  caps: number
}

function merge(map: Map<string, number>, path: string, caps: number): void {
  const existing = map.get(path)
  if (existing === undefined) map.set(path, caps)
  else if (existing & CAP.deny) return
  else if (caps & CAP.deny) map.set(path, CAP.deny)
  else map.set(path, existing | caps)
}

function lessSpecific(a: Candidate, b: Candidate): number {
  // Returns <0 when a has lower priority than b (sort ascending, take the last).
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard - b.firstWildcard
  if (a.isPrefix !== b.isPrefix) return a.isPrefix ? -1 : 1
  if (a.wildcards !== b.wildcards) return b.wildcards - a.wildcards
  if (a.path.length !== b.path.length) return a.path.length - b.path.length
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0
}

const OP_CAP: Record<Operation, number> = {
  read: CAP.read,
  list: CAP.list,
  update: CAP.update,
  delete: CAP.delete,
  create: CAP.create,
  patch: CAP.patch,
  scan: CAP.scan,
  header: CAP.read,
}

export class Acl {
  readonly root: boolean
  private readonly exact = new Map<string, number>()
  private readonly prefix = new Map<string, number>()
  private readonly segment = new Map<string, number>()

  constructor(policies: ParsedPolicy[], opts: {rootAllowed: boolean} = {rootAllowed: true}) {
    this.root = opts.rootAllowed && policies.some((p) => p.name === 'root')
    for (const policy of policies) {
      for (const rule of policy.paths) {
        if (rule.hasSegmentWildcards) merge(this.segment, rule.path, rule.capabilities)
        else merge(rule.isPrefix ? this.prefix : this.exact, rule.path, rule.capabilities)
      }
    }
  }

  /** Whether `op` on `path` (namespace-relative, no leading slash) is allowed. */
  allowOperation(path: string, op: Operation): AclResult {
    if (this.root) return {allowed: true, rootPrivs: true, isRoot: true, capabilities: ~0}
    const caps = this.capabilitiesFor(path, op)
    if (caps === undefined) return {allowed: false, rootPrivs: false, isRoot: false, capabilities: 0}
    return {
      allowed: (caps & OP_CAP[op]) !== 0 && (caps & CAP.deny) === 0,
      rootPrivs: (caps & CAP.sudo) !== 0,
      isRoot: false,
      capabilities: caps,
    }
  }

  /** OpenBao's `Capabilities()` for `path`: names such as `["read","list"]`, `["deny"]` or `["root"]`. */
  capabilities(path: string): string[] {
    if (this.root) return ['root']
    return capabilityNames(this.capabilitiesFor(path.replace(/^\/+/, ''), 'list') ?? 0)
  }

  /** Whether any rule grants something (not deny) on `mountPath` or below it. */
  hasMountAccess(mountPath: string): boolean {
    if (this.root) return true
    const grants = (caps: number) => caps !== 0 && (caps & CAP.deny) === 0
    for (const [p, caps] of this.exact) if (p.startsWith(mountPath) && grants(caps)) return true
    for (const [p, caps] of this.prefix) if ((p.startsWith(mountPath) || mountPath.startsWith(p)) && grants(caps)) return true
    for (const [p, caps] of this.segment) {
      if (!grants(caps)) continue
      const pattern = p.endsWith('*') ? p.slice(0, -1) : p
      const patternParts = pattern.split('/')
      const mountParts = mountPath.replace(/\/$/, '').split('/')
      if (
        mountParts.every(
          (part, i) =>
            i >= patternParts.length ||
            patternParts[i] === '+' ||
            patternParts[i] === part ||
            (i === patternParts.length - 1 && p.endsWith('*') && part.startsWith(patternParts[i]!)),
        )
      )
        return true
    }
    return false
  }

  private capabilitiesFor(rawPath: string, op: Operation): number | undefined {
    const path = rawPath.replace(/^\/+/, '')
    const exact = this.exact.get(path)
    if (exact !== undefined) return exact
    if (op === 'list' || op === 'scan') {
      const trimmed = this.exact.get(path.replace(/\/$/, ''))
      if (trimmed !== undefined) return trimmed
    }
    if (op === 'list' && path.endsWith('/')) {
      const perms = this.nonExact(path.slice(0, -1))
      if (perms !== undefined) return perms
    }
    return this.nonExact(path)
  }

  private nonExact(path: string): number | undefined {
    const candidates: Candidate[] = []
    let best: string | undefined
    for (const p of this.prefix.keys()) {
      if (path.startsWith(p) && (best === undefined || p.length > best.length)) best = p
    }
    if (best !== undefined) {
      if (this.segment.size === 0) return this.prefix.get(best)
      candidates.push({firstWildcard: best.length, wildcards: 0, isPrefix: true, path: best, caps: this.prefix.get(best)!})
    }
    if (this.segment.size === 0) return undefined
    const pathParts = path.split('/')
    for (const [full, caps] of this.segment) {
      if (full === '') continue
      const candidate: Candidate = {firstWildcard: full.indexOf('+'), wildcards: 0, isPrefix: false, path: full, caps}
      let current = full
      if (current.endsWith('*')) {
        candidate.isPrefix = true
        current = current.slice(0, -1)
      }
      candidate.path = current
      const parts = current.split('/')
      if (pathParts.length < parts.length) continue
      if (!candidate.isPrefix && parts.length !== pathParts.length) continue
      let matched = true
      for (let i = 0; i < parts.length; i++) {
        const aclPart = parts[i]!
        if (aclPart === '+') candidate.wildcards++
        else if (aclPart === pathParts[i]) continue
        else if (candidate.isPrefix && i === parts.length - 1 && pathParts[i]!.startsWith(aclPart)) continue
        else {
          matched = false
          break
        }
      }
      if (matched) candidates.push(candidate)
    }
    if (candidates.length === 0) return undefined
    candidates.sort(lessSpecific)
    return candidates[candidates.length - 1]!.caps
  }
}
