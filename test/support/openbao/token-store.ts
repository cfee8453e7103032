/**
 * The token auth method (`vault/token_store.go`, api-docs/auth/token): tokens with accessors,
 * parents (revoking or expiring a parent invalidates its children), TTL / period / explicit max
 * TTL against the injectable clock, use counts, token roles with allowed/disallowed policies,
 * and the `auth/token/*` endpoints — create, create-orphan, create/:role, lookup(-self,
 * -accessor), renew(-self, -accessor), revoke(-self, -accessor, -orphan), roles, accessors —
 * with OpenBao's response shapes and messages. Service tokens look like `s.<24 base62>`.
 */
import type {RequestContext} from './context.js'
import {formatRfc3339Nano} from './clock.js'
import {DurationError, formatGoDuration, parseDurationSeconds} from './durations.js'
import {FieldError, getBool, getInt, getString, getStringMap, getStringSlice, has, type RequestData} from './fields.js'
import {base62} from './ids.js'
import type {NamespaceRegistry} from './namespaces.js'
import {fail, multiError, ok, raw, type HttpAuth, type Outcome} from './responses.js'

/** The system default and maximum lease TTL (OpenBao's 32 days). */
export const SYSTEM_TTL_SECONDS = 768 * 3600

export interface TokenEntry {
  id: string
  accessor: string
  namespaceId: string
  policies: string[]
  parent: string
  path: string
  meta: Record<string, string> | null
  displayName: string
  /** 0 unlimited; counts down on use. */
  numUses: number
  /** Unix seconds. */
  creationTime: number
  /** The TTL at creation, seconds (0 = never expires). */
  creationTtl: number
  /** The current lease TTL, seconds (changes on renewal). */
  ttl: number
  explicitMaxTtl: number
  /** The period asked for at creation (a role's period is applied through `role`). */
  period: number
  role: string
  type: 'service' | 'batch'
  renewable: boolean
  issueTimeMs: number
  /** 0 when the token never expires. */
  expireTimeMs: number
  lastRenewalMs: number
  revoked: boolean
}

export interface TokenRole {
  name: string
  allowedPolicies: string[]
  disallowedPolicies: string[]
  allowedPoliciesGlob: string[]
  disallowedPoliciesGlob: string[]
  orphan: boolean
  renewable: boolean
  pathSuffix: string
  /** Deprecated fields as written (kept for reads). */
  period: number
  explicitMaxTtl: number
  tokenPeriod: number
  tokenExplicitMaxTtl: number
  tokenType: 'service' | 'batch' | 'default-service' | 'default-batch'
  tokenNoDefaultPolicy: boolean
  tokenNumUses: number
  tokenBoundCidrs: string[]
  allowedEntityAliases: string[]
}

/** `strutil.RemoveDuplicates(list, true)`: trimmed, lower-cased, without empties, unique, sorted. */
export function removeDuplicates(list: string[]): string[] {
  return [...new Set(list.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''))].sort()
}

/** `policyutil.SanitizePolicies`: `root` alone if present, else `default` added when asked. */
export function sanitizePolicies(list: string[], addDefault: boolean): string[] {
  let policies = list.map((p) => p.trim().toLowerCase())
  let defaultFound = false
  for (const p of policies) {
    if (p === 'root') {
      policies = ['root']
      defaultFound = true
      break
    }
    if (p === 'default') defaultFound = true
  }
  if (addDefault && (policies.filter((p) => p !== '').length === 0 || !defaultFound)) policies.push('default')
  return removeDuplicates(policies)
}

function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  )
  return re.test(value)
}

/** Go's `%q` for a string slice: `["a" "b"]`. */
function goQuoteList(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`
}

/** `framework.CalculateTTL`, in whole seconds. */
export function calculateTtl(args: {
  increment: number
  backendTtl: number
  period: number
  backendMaxTtl: number
  explicitMaxTtl: number
  startSeconds: number
  nowSeconds: number
}): {ttl: number; warnings: string[]} | {error: string} {
  const warnings: string[] = []
  let maxTtl = SYSTEM_TTL_SECONDS
  if (args.backendMaxTtl > 0 && args.backendMaxTtl < maxTtl) maxTtl = args.backendMaxTtl
  if (args.explicitMaxTtl > 0 && args.explicitMaxTtl < maxTtl) maxTtl = args.explicitMaxTtl
  let ttl: number
  let maxValid: number | undefined
  if (args.period > 0) {
    let period = args.period
    if (period > maxTtl) {
      warnings.push(
        `period of ${JSON.stringify(formatGoDuration(period))} exceeded the effective max_ttl of ${JSON.stringify(formatGoDuration(maxTtl))}; period value is capped accordingly`,
      )
      period = maxTtl
    }
    ttl = period
    if (args.explicitMaxTtl > 0) maxValid = args.startSeconds + args.explicitMaxTtl
  } else {
    if (args.increment > 0) ttl = args.increment
    else if (args.backendTtl > 0) ttl = args.backendTtl
    else ttl = SYSTEM_TTL_SECONDS
    maxValid = args.startSeconds + maxTtl
  }
  if (maxValid !== undefined) {
    const maxValidTtl = maxValid - args.nowSeconds
    if (maxValidTtl <= 0) return {error: 'past the max TTL, cannot renew'}
    if (maxValidTtl < ttl) {
      warnings.push(
        `TTL of ${JSON.stringify(formatGoDuration(ttl))} exceeded the effective max_ttl of ${JSON.stringify(formatGoDuration(maxValidTtl))}; TTL value is capped accordingly`,
      )
      ttl = maxValidTtl
    }
  }
  return {ttl, warnings}
}

/** A duration given to token creation, in seconds, or the 400 OpenBao answers for it. */
function nonNegativeSeconds(text: string, field: string): number | Outcome {
  let seconds: number
  try {
    seconds = parseDurationSeconds(text)
  } catch (err) {
    return fail(400, (err as Error).message)
  }
  return seconds < 0 ? fail(400, `${field} must be positive`) : seconds
}

function parseDurationField(data: RequestData, key: string): number {
  if (!has(data, key)) return 0
  try {
    return parseDurationSeconds(data![key])
  } catch (err) {
    if (err instanceof DurationError) throw new FieldError(err.message)
    throw err
  }
}

export class TokenStore {
  private readonly tokens = new Map<string, TokenEntry>()
  private readonly accessors = new Map<string, string>()

  constructor(
    private readonly now: () => number,
    private readonly namespaces: NamespaceRegistry,
  ) {}

  /** Adds the root token (policies `["root"]`, never expires). */
  createRoot(id: string): TokenEntry {
    const nowMs = this.now()
    return this.store({
      id,
      accessor: base62(24),
      namespaceId: 'root',
      policies: ['root'],
      parent: '',
      path: 'auth/token/root',
      meta: null,
      displayName: 'root',
      numUses: 0,
      creationTime: Math.floor(nowMs / 1000),
      creationTtl: 0,
      ttl: 0,
      explicitMaxTtl: 0,
      period: 0,
      role: '',
      type: 'service',
      renewable: false,
      issueTimeMs: nowMs,
      expireTimeMs: 0,
      lastRenewalMs: 0,
      revoked: false,
    })
  }

  /** Stores a token entry, generating its id and accessor when empty. */
  store(entry: TokenEntry): TokenEntry {
    const suffix = entry.namespaceId === 'root' ? '' : `.${entry.namespaceId}`
    if (!entry.id) {
      do entry.id = `${entry.type === 'batch' ? 'b.' : 's.'}${base62(24)}${suffix}`
      while (this.tokens.has(entry.id))
    }
    if (!entry.accessor && entry.type === 'service') entry.accessor = `${base62(24)}${suffix}`
    this.tokens.set(entry.id, entry)
    if (entry.accessor) this.accessors.set(entry.accessor, entry.id)
    return entry
  }

  has(id: string): boolean {
    return this.tokens.has(id)
  }

  /** The token entry whatever its state (for the request log's accessor). */
  raw(id: string): TokenEntry | undefined {
    return this.tokens.get(id)
  }

  /** Whether the token may be used: not revoked, not expired, parent chain valid, namespace alive. */
  isValid(entry: TokenEntry): boolean {
    const nowMs = this.now()
    for (let te: TokenEntry | undefined = entry, depth = 0; te; depth++) {
      if (te.revoked) return false
      if (te.expireTimeMs !== 0 && nowMs >= te.expireTimeMs) return false
      if (!this.namespaces.getById(te.namespaceId)) return false
      if (!te.parent || depth > 1000) return true
      te = this.tokens.get(te.parent)
      if (!te) return false
    }
    return false
  }

  /** A valid token by id, or undefined. */
  lookup(id: string): TokenEntry | undefined {
    const te = this.tokens.get(id)
    return te && this.isValid(te) ? te : undefined
  }

  /** A valid token by accessor, or undefined. */
  lookupByAccessor(accessor: string): TokenEntry | undefined {
    const id = this.accessors.get(accessor)
    return id ? this.lookup(id) : undefined
  }

  /** Revokes a token (its children become invalid with it). */
  revoke(entry: TokenEntry): void {
    entry.revoked = true
  }

  /** Revokes a token but keeps its children, which become orphans. */
  revokeOrphan(entry: TokenEntry): void {
    for (const te of this.tokens.values()) if (te.parent === entry.id) te.parent = ''
    entry.revoked = true
  }

  /** Accessors of the valid service tokens of a namespace. */
  accessorsIn(nsId: string): string[] {
    return [...this.tokens.values()].filter((t) => t.namespaceId === nsId && t.accessor && this.isValid(t)).map((t) => t.accessor)
  }
}

interface CreateOptions {
  orphan: boolean
  role: TokenRole | null
  subPath: string
}

/** The `auth` block for a token. */
function authBlock(te: TokenEntry, renewable: boolean, clientToken = te.id): HttpAuth {
  return {
    client_token: clientToken,
    accessor: te.accessor,
    policies: te.policies.length ? [...te.policies] : null,
    token_policies: te.policies.length ? [...te.policies] : undefined,
    metadata: te.meta ? {...te.meta} : null,
    lease_duration: te.ttl,
    renewable,
    entity_id: '',
    token_type: te.type,
    orphan: te.parent === '',
    mfa_requirement: null,
    num_uses: te.numUses,
  }
}

/** Handles a request below `auth/token/`. */
export function handleTokenStore(ctx: RequestContext, subPath: string): Outcome {
  try {
    return route(ctx, subPath)
  } catch (err) {
    if (err instanceof FieldError) return fail(400, err.message)
    throw err
  }
}

const UNSUPPORTED_PATH = multiError('unsupported path')
const UNSUPPORTED_OPERATION = multiError('unsupported operation')

function route(ctx: RequestContext, sub: string): Outcome {
  const op = ctx.operation
  const write = op === 'create' || op === 'update'
  const roleMatch = /^create\/([\w-.]+)$/.exec(sub)
  if (sub === 'create') return write ? createToken(ctx, {orphan: false, role: null, subPath: sub}) : fail(405, UNSUPPORTED_OPERATION)
  if (sub === 'create-orphan') return write ? createToken(ctx, {orphan: true, role: null, subPath: sub}) : fail(405, UNSUPPORTED_OPERATION)
  if (roleMatch) {
    if (!write) return fail(405, UNSUPPORTED_OPERATION)
    const role = ctx.namespace.roles.get(roleMatch[1]!)
    if (!role) return fail(400, `unknown role ${roleMatch[1]}`)
    return createToken(ctx, {orphan: false, role, subPath: sub})
  }
  switch (sub) {
    case 'lookup':
      if (op === 'read' || write) return lookupToken(ctx, getString(ctx.data, 'token') || ctx.token?.id || '', false)
      return fail(405, UNSUPPORTED_OPERATION)
    case 'lookup-self':
      if (op === 'read' || write) return lookupToken(ctx, ctx.token?.id ?? '', false)
      return fail(405, UNSUPPORTED_OPERATION)
    case 'lookup-accessor': {
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      const accessor = getString(ctx.data, 'accessor')
      if (!accessor) return fail(400, 'missing accessor')
      const te = ctx.core.tokens.lookupByAccessor(accessor)
      if (!te) return fail(400, 'invalid accessor')
      return lookupToken(ctx, te.id, true)
    }
    case 'renew':
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      return renewToken(ctx, getString(ctx.data, 'token'), false)
    case 'renew-self':
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      return renewToken(ctx, ctx.token?.id ?? '', false)
    case 'renew-accessor': {
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      const accessor = getString(ctx.data, 'accessor')
      if (!accessor) return fail(400, 'missing accessor')
      const te = ctx.core.tokens.lookupByAccessor(accessor)
      if (!te) return fail(400, 'invalid accessor')
      return renewToken(ctx, te.id, true)
    }
    case 'revoke': {
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      const id = getString(ctx.data, 'token')
      if (!id) return fail(400, 'missing token ID')
      return revokeToken(ctx, id)
    }
    case 'revoke-self':
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      return revokeToken(ctx, ctx.token?.id ?? '')
    case 'revoke-accessor': {
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      const accessor = getString(ctx.data, 'accessor')
      if (!accessor) return fail(400, 'missing accessor')
      const te = ctx.core.tokens.lookupByAccessor(accessor)
      if (!te) return ok({warnings: ['No token found with this accessor']})
      ctx.core.tokens.revoke(te)
      return ok(null)
    }
    case 'revoke-orphan': {
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      const id = getString(ctx.data, 'token')
      if (!id) return fail(400, 'missing token ID')
      if (!ctx.isSudo(`auth/token/${sub}`)) return fail(400, 'root or sudo privileges required to revoke and orphan')
      const te = ctx.core.tokens.lookup(id)
      if (!te) return fail(400, 'token to revoke not found')
      if (te.type === 'batch') return fail(400, 'batch tokens cannot be revoked')
      ctx.core.tokens.revokeOrphan(te)
      return ok(null)
    }
    case 'roles':
    case 'roles/':
      if (op !== 'list') return fail(405, UNSUPPORTED_OPERATION)
      return ok({data: ctx.namespace.roles.size ? {keys: [...ctx.namespace.roles.keys()].sort()} : {}})
    case 'accessors':
    case 'accessors/':
      if (op !== 'list') return fail(405, UNSUPPORTED_OPERATION)
      return ok({data: {keys: ctx.core.tokens.accessorsIn(ctx.namespace.id)}})
    case 'tidy':
      if (!write) return fail(405, UNSUPPORTED_OPERATION)
      return raw(202, {
        warnings: ["Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."],
      })
  }
  const roleRoute = /^roles\/([\w-.]+)$/.exec(sub)
  if (roleRoute) {
    const name = roleRoute[1]!
    if (op === 'read') return readRole(ctx, name)
    if (write) return writeRole(ctx, name)
    if (op === 'delete') {
      ctx.namespace.roles.delete(name)
      return ok(null)
    }
    return fail(405, UNSUPPORTED_OPERATION)
  }
  return fail(404, UNSUPPORTED_PATH)
}

function createToken(ctx: RequestContext, opts: CreateOptions): Outcome {
  const parent = ctx.token
  if (!parent) return fail(400, 'parent token lookup failed: no parent found')
  if (parent.type === 'batch') return fail(400, 'batch tokens cannot create more tokens')
  if (parent.numUses !== 0) return fail(400, 'restricted use token cannot generate child tokens')
  const {data} = ctx
  const role = opts.role
  const isSudo = ctx.isSudo(`auth/token/${opts.subPath}`)
  let policies = getStringSlice(data, 'policies')
  const ns = ctx.namespace
  if (ns.id !== parent.namespaceId) {
    if (!isSudo) return fail(400, 'root or sudo privileges required to directly generate a token in a child namespace')
    if (policies.includes('root')) return fail(400, 'root tokens may not be created from a parent namespace')
  }

  let tokenTypeStr = getString(data, 'type')
  if (role) {
    switch (role.tokenType) {
      case 'default-service':
        break
      case 'default-batch':
        if (tokenTypeStr === '') tokenTypeStr = 'batch'
        break
      case 'service':
        tokenTypeStr = 'service'
        break
      case 'batch':
        tokenTypeStr = 'batch'
        break
    }
  }
  let renewable = getBool(data, 'renewable', true)
  const explicitMaxTtlText = getString(data, 'explicit_max_ttl')
  const numUses = getInt(data, 'num_uses', 0)
  const periodText = getString(data, 'period')
  let tokenType: 'service' | 'batch' = 'service'
  if (tokenTypeStr === 'batch') {
    let bad = ''
    if (explicitMaxTtlText && parseDurationSeconds(explicitMaxTtlText) !== 0) bad = 'explicit_max_ttl'
    else if (numUses !== 0) bad = 'num_uses'
    else if (periodText && parseDurationSeconds(periodText) !== 0) bad = 'period'
    if (bad) return fail(400, `batch tokens cannot have ${JSON.stringify(bad)} set`)
    tokenType = 'batch'
    renewable = false
  } else if (tokenTypeStr !== '' && tokenTypeStr !== 'service') {
    return fail(400, "invalid 'token_type' value")
  }
  if (numUses < 0) return fail(400, 'number of uses cannot be negative')

  const nowMs = ctx.core.clock.now()
  const te: TokenEntry = {
    id: '',
    accessor: '',
    namespaceId: ns.id,
    policies: [],
    parent: parent.id,
    path: `auth/token/${opts.subPath}`,
    meta: getStringMap(data, 'meta') ?? null,
    displayName: 'token',
    numUses,
    creationTime: Math.floor(nowMs / 1000),
    creationTtl: 0,
    ttl: 0,
    explicitMaxTtl: 0,
    period: 0,
    role: '',
    type: tokenType,
    renewable: false,
    issueTimeMs: nowMs,
    expireTimeMs: 0,
    lastRenewalMs: 0,
    revoked: false,
  }
  if (role) {
    te.role = role.name
    if (renewable && !role.renewable) renewable = false
    if (role.tokenNumUses !== 0 && (te.numUses === 0 || role.tokenNumUses < te.numUses)) te.numUses = role.tokenNumUses
    if (role.pathSuffix) te.path = `${te.path}/${role.pathSuffix}`
  }
  const displayName = getString(data, 'display_name')
  if (displayName) te.displayName = `token-${displayName}`.replace(/[^a-zA-Z0-9-]/g, '-').replace(/-$/, '')
  const customId = getString(data, 'id')
  if (customId) {
    if (!isSudo) return fail(400, 'root or sudo privileges required to specify token id')
    if (!ns.isRoot) return fail(400, 'token IDs can only be manually specified in the root namespace')
    if (ctx.core.tokens.has(customId)) return fail(400, 'cannot create a token with a duplicate ID')
    te.id = customId
  }

  const warnings: string[] = []
  const noDefaultPolicy = getBool(data, 'no_default_policy', false)
  let addDefault = false
  if (
    role &&
    (role.allowedPolicies.length || role.disallowedPolicies.length || role.allowedPoliciesGlob.length || role.disallowedPoliciesGlob.length)
  ) {
    let finalPolicies: string[] = []
    const localAddDefault =
      !noDefaultPolicy &&
      !role.tokenNoDefaultPolicy &&
      !role.disallowedPolicies.includes('default') &&
      !role.disallowedPoliciesGlob.some((g) => globMatch(g, 'default'))
    if (policies.length) finalPolicies = sanitizePolicies(policies, localAddDefault)
    if (role.allowedPolicies.length || role.allowedPoliciesGlob.length) {
      const sanitizedRole = sanitizePolicies(role.allowedPolicies, localAddDefault)
      if (finalPolicies.length === 0) finalPolicies = sanitizedRole
      else {
        const globs = sanitizePolicies(role.allowedPoliciesGlob, false)
        for (const p of finalPolicies) {
          if (!sanitizedRole.includes(p) && !globs.some((g) => globMatch(g, p))) {
            return fail(
              400,
              `token policies (${goQuoteList(finalPolicies)}) must be subset of the role's allowed policies (${goQuoteList(sanitizedRole)}) or glob policies (${goQuoteList(globs)})`,
            )
          }
        }
      }
    } else if (finalPolicies.length === 0) {
      finalPolicies = sanitizePolicies(parent.policies, localAddDefault)
    }
    if (role.disallowedPolicies.length || role.disallowedPoliciesGlob.length) {
      const disallowed = removeDuplicates(role.disallowedPolicies)
      const disallowedGlobs = removeDuplicates(role.disallowedPoliciesGlob)
      for (const p of finalPolicies) {
        if (disallowed.includes(p) || disallowedGlobs.some((g) => globMatch(g, p)))
          return fail(400, `token policy ${JSON.stringify(p)} is disallowed by this role`)
      }
    }
    policies = finalPolicies
  } else if (ns.id !== parent.namespaceId) {
    addDefault = !noDefaultPolicy
  } else if (policies.length === 0) {
    policies = sanitizePolicies(parent.policies, false)
  } else if (!isSudo) {
    const input = sanitizePolicies(policies, false)
    const parentPolicies = sanitizePolicies(parent.policies, false)
    if (!input.every((p) => parentPolicies.includes(p))) return fail(400, 'child policies must be subset of parent')
    if (!noDefaultPolicy && parent.policies.includes('default')) addDefault = true
  } else {
    addDefault = !noDefaultPolicy
  }
  te.policies = sanitizePolicies(policies, addDefault)
  if (noDefaultPolicy) te.policies = te.policies.filter((p) => p !== 'default')
  if (te.policies.includes('response-wrapping')) return fail(400, `cannot assign policy ${JSON.stringify('response-wrapping')}`)
  if (te.policies.includes('root')) {
    if (!parent.policies.includes('root')) return fail(400, 'root tokens may not be created without parent token being root')
    if (te.type === 'batch') return fail(400, 'batch tokens cannot be root tokens')
  }

  if (role) {
    if (role.orphan) te.parent = ''
  } else if (getBool(data, 'no_parent', false)) {
    if (!isSudo) return fail(400, 'root or sudo privileges required to create orphan token')
    te.parent = ''
  } else if (opts.orphan) {
    te.parent = ''
  }

  let explicitMaxTtl = 0
  if (explicitMaxTtlText) {
    const dur = nonNegativeSeconds(explicitMaxTtlText, 'explicit_max_ttl')
    if (typeof dur !== 'number') return dur
    te.explicitMaxTtl = dur
    explicitMaxTtl = dur
  }
  let period = 0
  if (periodText) {
    const dur = nonNegativeSeconds(periodText, 'period')
    if (typeof dur !== 'number') return dur
    if (dur > 0) {
      if (!isSudo) return fail(400, 'root or sudo privileges required to create periodic token')
      te.period = dur
      period = dur
    }
  }
  let ttl = 0
  const ttlField =
    has(data, 'ttl') && getString(data, 'ttl') !== '' ? 'ttl' : has(data, 'lease') && getString(data, 'lease') !== '' ? 'lease' : ''
  if (ttlField) {
    try {
      ttl = parseDurationField(data, ttlField)
    } catch (err) {
      return fail(400, (err as Error).message)
    }
    if (ttl < 0) return fail(400, `${ttlField} must be positive`)
  }
  if (role && te.type !== 'batch') {
    if (role.tokenExplicitMaxTtl !== 0) {
      if (explicitMaxTtl === 0) explicitMaxTtl = role.tokenExplicitMaxTtl
      else {
        if (role.tokenExplicitMaxTtl < explicitMaxTtl) explicitMaxTtl = role.tokenExplicitMaxTtl
        warnings.push(
          `Explicit max TTL specified both during creation call and in role; using the lesser value of ${explicitMaxTtl} seconds`,
        )
      }
    }
    if (role.tokenPeriod !== 0) {
      if (period === 0) period = role.tokenPeriod
      else {
        if (role.tokenPeriod < period) period = role.tokenPeriod
        warnings.push(`Period specified both during creation call and in role; using the lesser value of ${period} seconds`)
      }
    }
  }
  if (period > 0 || ttl > 0 || !te.policies.includes('root')) {
    const calc = calculateTtl({
      increment: 0,
      backendTtl: ttl,
      period,
      backendMaxTtl: 0,
      explicitMaxTtl,
      startSeconds: te.creationTime,
      nowSeconds: te.creationTime,
    })
    if ('error' in calc) return fail(500, calc.error)
    warnings.push(...calc.warnings)
    ttl = calc.ttl
  }
  if (ttl === 0 && explicitMaxTtl > 0) ttl = explicitMaxTtl
  if (ttl === 0) {
    if (parent.ttl !== 0) return fail(400, 'expiring root tokens cannot create non-expiring root tokens')
    renewable = false
  }
  if (te.id) {
    warnings.push(
      'Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.',
    )
  }
  te.ttl = ttl
  te.creationTtl = ttl
  te.renewable = renewable && ttl !== 0
  te.expireTimeMs = ttl > 0 ? nowMs + ttl * 1000 : 0
  ctx.core.tokens.store(te)
  for (const p of te.policies) if (!ns.policies.has(p)) warnings.push(`Policy ${JSON.stringify(p)} does not exist`)
  return ok({data: null, warnings, auth: authBlock(te, te.renewable)})
}

function lookupToken(ctx: RequestContext, id: string, hideId: boolean): Outcome {
  if (!id) return fail(400, 'missing token ID')
  const out = ctx.core.tokens.lookup(id)
  if (!out) return fail(403, 'bad token')
  const nowMs = ctx.core.clock.now()
  const data: Record<string, unknown> = {
    id: hideId ? '' : out.id,
    accessor: out.accessor,
    policies: [...out.policies],
    path: out.path,
    meta: out.meta ? {...out.meta} : null,
    display_name: out.displayName,
    num_uses: out.numUses,
    orphan: out.parent === '',
    creation_time: out.creationTime,
    creation_ttl: out.creationTtl,
    expire_time: null,
    ttl: 0,
    explicit_max_ttl: out.explicitMaxTtl,
    entity_id: '',
    type: out.type,
  }
  if (out.role) data.role = out.role
  if (out.period) data.period = out.period
  const tokenNs = ctx.core.namespaces.getById(out.namespaceId)
  if (tokenNs && !tokenNs.isRoot) data.namespace_path = tokenNs.path
  if (out.lastRenewalMs) {
    data.last_renewal_time = Math.floor(out.lastRenewalMs / 1000)
    data.last_renewal = formatRfc3339Nano(out.lastRenewalMs)
  }
  if (out.expireTimeMs) {
    data.expire_time = formatRfc3339Nano(out.expireTimeMs)
    data.ttl = Math.max(0, Math.round((out.expireTimeMs - nowMs) / 1000))
  }
  data.renewable = out.renewable && out.expireTimeMs !== 0
  data.issue_time = formatRfc3339Nano(out.issueTimeMs)
  return ok({data})
}

function renewToken(ctx: RequestContext, id: string, hideToken: boolean): Outcome {
  if (!id) return fail(400, 'missing token ID')
  let increment = 0
  try {
    increment = parseDurationField(ctx.data, 'increment')
  } catch (err) {
    return fail(400, (err as Error).message)
  }
  const te = ctx.core.tokens.lookup(id)
  if (!te) return fail(400, 'token not found')
  if (te.type === 'batch') return fail(400, 'batch tokens cannot be renewed')
  if (te.namespaceId !== ctx.namespace.id) return fail(500, 'cannot renew a token across namespaces')
  if (te.expireTimeMs === 0 || !te.renewable) return fail(400, 'lease is not renewable')
  let period = te.period
  let explicitMaxTtl = te.explicitMaxTtl
  if (te.role) {
    const role = ctx.namespace.roles.get(te.role)
    if (!role) return fail(500, `original token role ${JSON.stringify(te.role)} could not be found, not renewing`)
    period = role.tokenPeriod
    explicitMaxTtl = role.tokenExplicitMaxTtl
  }
  const nowMs = ctx.core.clock.now()
  const calc = calculateTtl({
    increment,
    backendTtl: te.ttl,
    period,
    backendMaxTtl: 0,
    explicitMaxTtl,
    startSeconds: Math.floor(te.issueTimeMs / 1000),
    nowSeconds: Math.floor(nowMs / 1000),
  })
  if ('error' in calc) return fail(500, calc.error)
  te.ttl = calc.ttl
  te.expireTimeMs = nowMs + calc.ttl * 1000
  te.lastRenewalMs = nowMs
  return ok({data: null, warnings: calc.warnings, auth: authBlock(te, true, hideToken ? '' : te.id)})
}

function revokeToken(ctx: RequestContext, id: string): Outcome {
  const te = ctx.core.tokens.lookup(id)
  if (!te) return ok(null)
  if (te.type === 'batch') return fail(400, 'batch tokens cannot be revoked')
  ctx.core.tokens.revoke(te)
  return ok(null)
}

function readRole(ctx: RequestContext, name: string): Outcome {
  const role = ctx.namespace.roles.get(name)
  if (!role) return ok(null)
  const data: Record<string, unknown> = {
    period: role.period,
    token_period: role.tokenPeriod,
    explicit_max_ttl: role.explicitMaxTtl,
    token_explicit_max_ttl: role.tokenExplicitMaxTtl,
    disallowed_policies: [...role.disallowedPolicies],
    allowed_policies: [...role.allowedPolicies],
    disallowed_policies_glob: [...role.disallowedPoliciesGlob],
    allowed_policies_glob: [...role.allowedPoliciesGlob],
    name: role.name,
    orphan: role.orphan,
    path_suffix: role.pathSuffix,
    renewable: role.renewable,
    token_type: role.tokenType,
    allowed_entity_aliases: [...role.allowedEntityAliases],
    token_no_default_policy: role.tokenNoDefaultPolicy,
  }
  if (role.tokenBoundCidrs.length) data.token_bound_cidrs = [...role.tokenBoundCidrs]
  if (role.tokenNumUses > 0) data.token_num_uses = role.tokenNumUses
  return ok({data})
}

function writeRole(ctx: RequestContext, name: string): Outcome {
  const {data} = ctx
  const existing = ctx.namespace.roles.get(name)
  const creating = !existing
  const role: TokenRole = existing
    ? {...existing}
    : {
        name,
        allowedPolicies: [],
        disallowedPolicies: [],
        allowedPoliciesGlob: [],
        disallowedPoliciesGlob: [],
        orphan: false,
        renewable: true,
        pathSuffix: '',
        period: 0,
        explicitMaxTtl: 0,
        tokenPeriod: 0,
        tokenExplicitMaxTtl: 0,
        tokenType: 'default-service',
        tokenNoDefaultPolicy: false,
        tokenNumUses: 0,
        tokenBoundCidrs: [],
        allowedEntityAliases: [],
      }
  if (has(data, 'orphan') || creating) role.orphan = getBool(data, 'orphan', false)
  if (has(data, 'renewable') || creating) role.renewable = getBool(data, 'renewable', true)
  if (has(data, 'path_suffix')) {
    const suffix = getString(data, 'path_suffix')
    if (suffix && !/\w[\w-.]+\w/.test(suffix)) {
      return fail(400, 'given role path suffix contains invalid characters; must match \\w[\\w-.]+\\w')
    }
    if (suffix.includes('..')) return fail(400, 'error registering path suffix: path cannot contain parent references')
    role.pathSuffix = suffix
  }
  if (has(data, 'allowed_policies')) role.allowedPolicies = sanitizePolicies(getStringSlice(data, 'allowed_policies'), false)
  if (has(data, 'disallowed_policies')) role.disallowedPolicies = removeDuplicates(getStringSlice(data, 'disallowed_policies'))
  if (has(data, 'allowed_policies_glob')) role.allowedPoliciesGlob = sanitizePolicies(getStringSlice(data, 'allowed_policies_glob'), false)
  if (has(data, 'disallowed_policies_glob'))
    role.disallowedPoliciesGlob = removeDuplicates(getStringSlice(data, 'disallowed_policies_glob'))
  if (has(data, 'allowed_entity_aliases')) role.allowedEntityAliases = removeDuplicates(getStringSlice(data, 'allowed_entity_aliases'))
  if (has(data, 'token_no_default_policy')) role.tokenNoDefaultPolicy = getBool(data, 'token_no_default_policy')
  if (has(data, 'token_num_uses')) {
    const uses = getInt(data, 'token_num_uses')
    if (uses < 0) return fail(400, 'error parsing role fields: token_num_uses cannot be negative')
    role.tokenNumUses = uses
  }
  if (has(data, 'token_bound_cidrs')) role.tokenBoundCidrs = getStringSlice(data, 'token_bound_cidrs')
  if (has(data, 'token_type')) {
    const t = data!.token_type
    if (t === null) return fail(400, "Invalid 'token_type' value: null")
    const text = String(t)
    if (text === 'service' || text === 'batch' || text === 'default-service' || text === 'default-batch') role.tokenType = text
    else if (text === 'default' || text === '') role.tokenType = 'default-service'
    else return fail(400, `invalid 'token_type' value ${JSON.stringify(text)}`)
  }
  const warnings: string[] = []
  try {
    if (has(data, 'token_period')) {
      role.tokenPeriod = parseDurationField(data, 'token_period')
      role.period = 0
      if (has(data, 'period')) warnings.push("Both 'token_period' and deprecated 'period' supplied; using the value from 'token_period'")
    } else if (has(data, 'period')) {
      role.period = parseDurationField(data, 'period')
      role.tokenPeriod = role.period
    }
    if (has(data, 'token_explicit_max_ttl')) {
      role.tokenExplicitMaxTtl = parseDurationField(data, 'token_explicit_max_ttl')
      role.explicitMaxTtl = 0
      if (has(data, 'explicit_max_ttl'))
        warnings.push(
          "Both 'token_explicit_max_ttl' and deprecated 'explicit_max_ttl' supplied; using the value from 'token_explicit_max_ttl'",
        )
    } else if (has(data, 'explicit_max_ttl')) {
      role.explicitMaxTtl = parseDurationField(data, 'explicit_max_ttl')
      role.tokenExplicitMaxTtl = role.explicitMaxTtl
    }
  } catch (err) {
    return fail(400, `error parsing role fields: ${(err as Error).message}`)
  }
  if (role.tokenType === 'batch') {
    if (!role.orphan) return fail(400, 'batch tokens are required to be orphan tokens')
    if (role.tokenPeriod !== 0) return fail(400, 'batch tokens cannot be periodic')
    if (role.tokenNumUses !== 0) return fail(400, 'batch tokens cannot have num_uses set')
  }
  ctx.namespace.roles.set(name, role)
  return ok(warnings.length ? {warnings} : null)
}
