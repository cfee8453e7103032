/**
 * Fault injection for tests: added latency, failing the Nth (or the next K) matching requests
 * with a chosen status and body (429, 500, … in Connect's `{"status", "message"}` shape unless a
 * body is given), failing a fraction of requests (seeded, deterministic), and dropping the
 * connection (before the reply, after its headers, or mid-body; the request itself applied or
 * not). Rules match on method and on a path glob (`*` any run, `+` one segment) or RegExp on the
 * path after `/v1/` (`vaults/+/items/+`; `health`, `heartbeat` for those). The same rules can be
 * posted as JSON to `/__test/faults` when the server runs standalone. Shaped like the OpenBao
 * test server's faults (test/support/openbao/faults.ts), without its seal and namespace rules.
 */

export interface FaultMatch {
  /** Method(s), case-insensitive. Default: any. */
  method?: string | string[]
  /** Glob on the path after `/v1/` (`vaults/*`, `vaults/+/items/+`) or a RegExp; a leading `/v1/` is ignored. */
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
  /** `fail`: the status (default 500) and body (an object is sent as JSON; default `{"status": S, "message": "…"}`). */
  status?: number
  body?: unknown
  /** `fail`: extra response headers, e.g. `{"Retry-After": "1"}` with a 429. */
  headers?: Record<string, string>
  /** `drop`: where to cut the reply (default `after-headers`). */
  stage?: DropStage
  /** `drop` with `partial-body`: how many body bytes get through (default: half). */
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

/** What the faults decided for one request. */
export interface FaultPlan {
  delayMs: number
  fail?: {status: number; body: unknown; headers: Record<string, string>}
  drop?: {stage: DropStage; bytes?: number; applyRequest: boolean}
}

interface Rule {
  id: number
  spec: FaultSpec
  matcher: (method: string, path: string) => boolean
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

/** The path rules match on: without a leading `/v1/` or `/`, and without a trailing `/`. */
export function faultPath(path: string): string {
  return path
    .replace(/^\/?v1\//, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
}

function globToRegExp(glob: string): RegExp {
  let re = ''
  for (const c of faultPath(glob)) {
    if (c === '*') re += '.*'
    else if (c === '+') re += '[^/]+'
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

function buildMatcher(match: FaultMatch): Rule['matcher'] {
  const methods =
    match.method === undefined ? undefined : (Array.isArray(match.method) ? match.method : [match.method]).map((m) => m.toUpperCase())
  const pathRe = match.path === undefined ? undefined : match.path instanceof RegExp ? match.path : globToRegExp(match.path)
  return (method, path) => (!methods || methods.includes(method)) && (!pathRe || pathRe.test(path))
}

export class FaultController {
  private rules: Rule[] = []
  private nextId = 1

  /** Adds a rule from a JSON-able spec. */
  add(spec: FaultSpec): FaultHandle {
    if (!['latency', 'fail', 'drop'].includes(spec.type)) throw new Error(`unknown fault type ${JSON.stringify(spec.type)}`)
    if (spec.stage !== undefined && !['before-headers', 'after-headers', 'partial-body'].includes(spec.stage)) {
      throw new Error(`unknown drop stage ${JSON.stringify(spec.stage)}`)
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

  /** Waits `ms` before handling every matching request (or `times` of them, from the `nth`). */
  latency(ms: number, match: FaultMatch & {times?: number; nth?: number} = {}): FaultHandle {
    return this.add({...match, type: 'latency', ms})
  }

  /** Fails the Nth matching request (1-based) with `status` and `body`. */
  failNth(n: number, spec: FaultMatch & {status: number; body?: unknown; headers?: Record<string, string>; times?: number}): FaultHandle {
    return this.add({...spec, type: 'fail', nth: n, times: spec.times ?? 1})
  }

  /** Fails the next `k` matching requests. */
  failNext(k: number, spec: FaultMatch & {status: number; body?: unknown; headers?: Record<string, string>}): FaultHandle {
    return this.add({...spec, type: 'fail', nth: 1, times: k})
  }

  /** Answers the next `k` matching requests with 429 Too Many Requests (and `Retry-After` when given). */
  rateLimit(k: number, match: FaultMatch & {retryAfterSeconds?: number} = {}): FaultHandle {
    const {retryAfterSeconds, ...rest} = match
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : {'Retry-After': String(retryAfterSeconds)}
    return this.add({...rest, type: 'fail', status: 429, headers, nth: 1, times: k})
  }

  /** Fails a fraction of matching requests, deterministically for a given `seed`. */
  failFraction(fraction: number, spec: FaultMatch & {status: number; body?: unknown; seed?: number; times?: number}): FaultHandle {
    return this.add({...spec, type: 'fail', fraction})
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
  evaluate(method: string, path: string): FaultPlan {
    const plan: FaultPlan = {delayMs: 0}
    for (const rule of this.rules) {
      if (!rule.matcher(method, path)) continue
      rule.seen++
      const spec = rule.spec
      const from = spec.nth ?? 1
      const times = spec.times ?? (spec.nth !== undefined ? 1 : Infinity)
      if (rule.seen < from || rule.fired >= times) continue
      if (spec.fraction !== undefined && !(rule.random() < spec.fraction)) continue
      if (spec.type === 'latency') {
        rule.fired++
        plan.delayMs += Math.max(0, spec.ms ?? 0)
      } else if (plan.fail || plan.drop) {
        // One failure or drop per request; later rules wait for the next one.
      } else if (spec.type === 'fail') {
        rule.fired++
        const status = spec.status ?? 500
        plan.fail = {status, body: spec.body, headers: {...(spec.headers ?? {})}}
      } else {
        rule.fired++
        plan.drop = {stage: spec.stage ?? 'after-headers', bytes: spec.bytes, applyRequest: spec.applyRequest ?? true}
      }
    }
    return plan
  }
}
