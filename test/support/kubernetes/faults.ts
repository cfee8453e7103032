/**
 * Fault injection for tests, shaped like the OpenBao test server's: added latency, failing the
 * Nth (or the next K, or a seeded fraction of) matching requests with a status — by default the
 * Status body the API server sends for it (429 TooManyRequests with `Retry-After`, 500
 * InternalError, 503 ServiceUnavailable, 504 Timeout) — and dropping the connection (before the
 * reply, after its headers, or mid-body; the request itself applied or not). Rules match on
 * HTTP method, the Kubernetes verb (`get`, `list`, `create`, `update`, `patch`, `delete`, …),
 * resource, namespace, name, and a path glob (`*` any run, `+` one segment) or RegExp on the URL
 * path. The same rules can be posted as JSON to `/__test/faults` when the server runs standalone.
 */

export interface FaultMatch {
  /** HTTP method(s), case-insensitive. Default: any. */
  method?: string | string[]
  /** Kubernetes verb(s): get, list, watch, create, update, patch, delete, deletecollection. */
  verb?: string | string[]
  /** `secrets` or `namespaces`. */
  resource?: string
  namespace?: string
  name?: string
  /** Glob on the URL path (`/api/v1/namespaces/+/secrets/*`) or a RegExp. */
  path?: string | RegExp
}

export type DropStage = 'before-headers' | 'after-headers' | 'partial-body'

export interface FaultSpec extends FaultMatch {
  type: 'latency' | 'fail' | 'drop'
  /** Fire only from the Nth matching request on (1-based); default: from the first. */
  nth?: number
  /** Fire at most this many times (default: once when `nth` is set, else unlimited). */
  times?: number
  /** Fire on this fraction (0..1) of matching requests, drawn from a seeded generator. */
  fraction?: number
  seed?: number
  /** `latency`: milliseconds to wait before handling. */
  ms?: number
  /** `fail`: the status (default 500) and body (default: the API server's Status for that code). */
  status?: number
  body?: unknown
  /** `fail`: sends `Retry-After` (and `details.retryAfterSeconds`); default 1 for 429, none otherwise. */
  retryAfterSeconds?: number
  /** `drop`: where to cut the reply (default `after-headers`). */
  stage?: DropStage
  /** `drop` with `partial-body`: how many body bytes get through (default half). */
  bytes?: number
  /** `drop`: whether the request is handled (state changes) before the connection dies (default true). */
  applyRequest?: boolean
}

export interface FaultHandle {
  readonly id: number
  /** How many matching requests the rule has seen. */
  readonly seen: number
  /** How many times it fired. */
  readonly fired: number
  remove(): void
}

export interface FaultPlan {
  delayMs: number
  fail?: {status: number; body: unknown; retryAfterSeconds?: number}
  drop?: {stage: DropStage; bytes?: number; applyRequest: boolean}
}

export interface FaultRequestInfo {
  method: string
  path: string
  verb: string | null
  resource: string | null
  namespace: string
  name: string
}

interface Rule {
  id: number
  spec: FaultSpec
  matcher: (info: FaultRequestInfo) => boolean
  seen: number
  fired: number
  random: () => number
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function globToRegExp(glob: string): RegExp {
  let re = ''
  for (const c of glob) {
    if (c === '*') re += '.*'
    else if (c === '+') re += '[^/]+'
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

function list(v: string | string[] | undefined, lower: boolean): string[] | undefined {
  if (v === undefined) return undefined
  return (Array.isArray(v) ? v : [v]).map((x) => (lower ? x.toLowerCase() : x.toUpperCase()))
}

function buildMatcher(match: FaultMatch): (info: FaultRequestInfo) => boolean {
  const methods = list(match.method, false)
  const verbs = list(match.verb, true)
  const pathRe = match.path === undefined ? undefined : match.path instanceof RegExp ? match.path : globToRegExp(match.path)
  return (info) => {
    if (methods && !methods.includes(info.method)) return false
    if (verbs && !(info.verb && verbs.includes(info.verb))) return false
    if (match.resource !== undefined && match.resource !== info.resource) return false
    if (match.namespace !== undefined && match.namespace !== info.namespace) return false
    if (match.name !== undefined && match.name !== info.name) return false
    if (pathRe && !pathRe.test(info.path)) return false
    return true
  }
}

export class FaultController {
  private rules: Rule[] = []
  private nextId = 1

  /** Adds a rule from a JSON-able spec. */
  add(spec: FaultSpec): FaultHandle {
    if (!['latency', 'fail', 'drop'].includes(spec.type))
      throw new Error(`unknown fault type ${JSON.stringify(spec.type)} (latency, fail, drop)`)
    if (spec.stage !== undefined && !['before-headers', 'after-headers', 'partial-body'].includes(spec.stage)) {
      throw new Error(`unknown drop stage ${JSON.stringify(spec.stage)} (before-headers, after-headers, partial-body)`)
    }
    const rule: Rule = {
      id: this.nextId++,
      spec: {...spec},
      matcher: buildMatcher(spec),
      seen: 0,
      fired: 0,
      random: mulberry32(spec.seed ?? 1),
    }
    this.rules.push(rule)
    return {
      id: rule.id,
      get seen() {
        return rule.seen
      },
      get fired() {
        return rule.fired
      },
      remove: () => this.remove(rule.id),
    }
  }

  /** Waits `ms` before handling every matching request (or `times` of them). */
  latency(ms: number, match: FaultMatch & {times?: number; nth?: number} = {}): FaultHandle {
    return this.add({...match, type: 'latency', ms})
  }

  /** Fails the Nth matching request (1-based). */
  failNth(n: number, spec: FaultMatch & {status: number; body?: unknown; retryAfterSeconds?: number; times?: number}): FaultHandle {
    return this.add({...spec, type: 'fail', nth: n, times: spec.times ?? 1})
  }

  /** Fails the next `k` matching requests. */
  failNext(k: number, spec: FaultMatch & {status: number; body?: unknown; retryAfterSeconds?: number}): FaultHandle {
    return this.add({...spec, type: 'fail', nth: 1, times: k})
  }

  /** Fails a fraction of matching requests, deterministically for a given `seed`. */
  failFraction(
    fraction: number,
    spec: FaultMatch & {status: number; body?: unknown; retryAfterSeconds?: number; seed?: number; times?: number},
  ): FaultHandle {
    return this.add({...spec, type: 'fail', fraction})
  }

  /** Answers the next `k` matching requests 429 TooManyRequests with `Retry-After: seconds`. */
  throttle(k: number, spec: FaultMatch & {retryAfterSeconds?: number} = {}): FaultHandle {
    return this.add({...spec, type: 'fail', status: 429, nth: 1, times: k, retryAfterSeconds: spec.retryAfterSeconds ?? 1})
  }

  /** Drops the connection on matching requests (by default once, on the first match). */
  dropConnection(
    spec: FaultMatch & {
      nth?: number
      times?: number
      stage?: DropStage
      bytes?: number
      applyRequest?: boolean
      fraction?: number
      seed?: number
    } = {},
  ): FaultHandle {
    return this.add({...spec, type: 'drop', nth: spec.nth ?? 1, times: spec.times ?? 1})
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id)
  }

  clear(): void {
    this.rules = []
  }

  /** The active rules, as specs with their counters. */
  list(): (FaultSpec & {id: number; seen: number; fired: number})[] {
    return this.rules.map((r) => ({
      ...r.spec,
      path: r.spec.path instanceof RegExp ? String(r.spec.path) : r.spec.path,
      id: r.id,
      seen: r.seen,
      fired: r.fired,
    }))
  }

  /** Decides the faults for one request (counting it against every matching rule). */
  evaluate(info: FaultRequestInfo): FaultPlan {
    const plan: FaultPlan = {delayMs: 0}
    for (const rule of this.rules) {
      if (!rule.matcher(info)) continue
      rule.seen++
      const spec = rule.spec
      const from = spec.nth ?? 1
      const times = spec.times ?? (spec.nth !== undefined ? 1 : Infinity)
      if (rule.seen < from || rule.fired >= times) continue
      if (spec.fraction !== undefined && !(rule.random() < spec.fraction)) continue
      if (spec.type === 'latency') {
        rule.fired++
        plan.delayMs += Math.max(0, spec.ms ?? 0)
      } else if (spec.type === 'fail') {
        if (plan.fail || plan.drop) continue
        rule.fired++
        const status = spec.status ?? 500
        plan.fail = {status, body: spec.body, retryAfterSeconds: spec.retryAfterSeconds ?? (status === 429 ? 1 : undefined)}
      } else {
        if (plan.fail || plan.drop) continue
        rule.fired++
        plan.drop = {stage: spec.stage ?? 'after-headers', bytes: spec.bytes, applyRequest: spec.applyRequest ?? true}
      }
    }
    return plan
  }
}
