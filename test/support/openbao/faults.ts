/**
 * Fault injection for tests: added latency, failing the Nth (or the next K) matching requests
 * with a chosen status and body, failing a fraction of requests (seeded, deterministic),
 * dropping the connection (before the reply, after its headers, or mid-body; the request itself
 * applied or not), sealing the server after N matching requests, and holding requests until the
 * test releases them (so a test waits for an event, "N requests are in flight" or "the client
 * gave up", instead of guessing with latency and the real clock). Rules match on method
 * (`LIST` also matches `GET ?list=true`), a path glob (`*` any run, `+` one segment) or RegExp
 * on the path after `/v1/`, and the `X-Vault-Namespace` header. The same rules can be posted as
 * JSON to `/__test/faults` when the server runs standalone.
 */
import type {DropDirective} from './http-transport.js'

export interface FaultMatch {
  /** Method(s), case-insensitive. `LIST` also matches `GET ?list=true`. Default: any. */
  method?: string | string[]
  /** Glob on the path after `/v1/` (`secret/data/*`, `auth/token/+`) or a RegExp; a leading `/v1/` is ignored. */
  path?: string | RegExp
  /** The `X-Vault-Namespace` header value to match (`''` = no header). Default: any. */
  namespace?: string
}

export interface FaultSpec extends FaultMatch {
  /** `hold`: parked before handling until the rule is released or removed (or the server closes). */
  type: 'latency' | 'fail' | 'drop' | 'seal-after' | 'hold'
  /** Fire only from the Nth matching request on (1-based); default: from the first. */
  nth?: number
  /** Fire at most this many times (default: once when `nth` is set, else unlimited). */
  times?: number
  /** Fire on this fraction (0..1) of matching requests, drawn from a seeded generator. */
  fraction?: number
  seed?: number
  /** `latency`: milliseconds to wait before handling. */
  ms?: number
  /** `fail`: the status and body (an object is sent as JSON; default `{"errors":["internal error"]}`). */
  status?: number
  body?: unknown
  /** `drop`: where to cut the reply (default `after-headers`). */
  stage?: DropDirective['stage']
  /** `drop` with `partial-body`: how many body bytes get through. */
  bytes?: number
  /** `drop`: whether the request is handled (state changes) before the connection dies (default true). */
  applyRequest?: boolean
  /** `seal-after`: seal once this many matching requests have been handled. */
  after?: number
}

export interface FaultHandle {
  readonly id: number
  /** How many matching requests the rule has seen. */
  readonly seen: number
  /** How many times it fired. */
  readonly fired: number
  remove(): void
}

/** A `hold` rule: matching requests wait, unhandled, until `release()` (or `remove()`). */
export interface HoldHandle extends FaultHandle {
  /** Requests parked right now. */
  readonly parked: number
  /** Settles once `n` requests are parked at the same time (at once if they already are). */
  whenParked(n: number): Promise<void>
  /** Lets the parked requests go on (handled as usual) and stops holding new ones. */
  release(): void
  /** Ends the parked requests unhandled, the connection cut (as if they never arrived), and stops holding new ones. */
  drop(): void
}

/** What the faults decided for one request. */
export interface FaultPlan {
  /** Settles when every hold rule that parked this request has let it go: `drop` when one dropped it. */
  hold?: Promise<HoldVerdict>
  delayMs: number
  fail?: {status: number; body: unknown}
  drop?: {directive: DropDirective; applyRequest: boolean}
  /** Rules whose seal trigger fires once this request has been handled. */
  sealAfter: boolean
}

export interface FaultRequestInfo {
  method: string
  /** Path after `/v1/`, list paths with a trailing `/`. */
  path: string
  isList: boolean
  namespace: string
}

interface Rule {
  id: number
  spec: FaultSpec
  matcher: (info: FaultRequestInfo) => boolean
  seen: number
  fired: number
  random: () => number
  /** For `hold`: the parked requests' wake-ups, and who waits for how many to be parked. */
  held?: Hold
}

export type HoldVerdict = 'go' | 'drop'

class Hold {
  released = false
  readonly parked = new Set<(verdict: HoldVerdict) => void>()
  private waiters: {n: number; resolve: () => void}[] = []

  park(): Promise<HoldVerdict> {
    return new Promise<HoldVerdict>((resolve) => {
      const wake = (verdict: HoldVerdict) => {
        this.parked.delete(wake)
        resolve(verdict)
      }
      this.parked.add(wake)
      const met = this.waiters.filter((w) => this.parked.size >= w.n)
      this.waiters = this.waiters.filter((w) => this.parked.size < w.n)
      for (const w of met) w.resolve()
    })
  }

  whenParked(n: number): Promise<void> {
    if (this.parked.size >= n) return Promise.resolve()
    return new Promise<void>((resolve) => this.waiters.push({n, resolve}))
  }

  release(verdict: HoldVerdict = 'go'): void {
    this.released = true
    for (const wake of [...this.parked]) wake(verdict)
  }
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
  const cleaned = glob.replace(/^\/?v1\//, '').replace(/^\/+/, '')
  let re = ''
  for (const c of cleaned) {
    if (c === '*') re += '.*'
    else if (c === '+') re += '[^/]+'
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

function buildMatcher(match: FaultMatch): (info: FaultRequestInfo) => boolean {
  const methods =
    match.method === undefined ? undefined : (Array.isArray(match.method) ? match.method : [match.method]).map((m) => m.toUpperCase())
  const pathRe = match.path === undefined ? undefined : match.path instanceof RegExp ? match.path : globToRegExp(match.path)
  const ns = match.namespace === undefined ? undefined : match.namespace.replace(/^\/+|\/+$/g, '')
  return (info) => {
    if (methods && !methods.includes(info.method) && !(info.isList && methods.includes('LIST'))) return false
    if (pathRe && !pathRe.test(info.path) && !pathRe.test(info.path.replace(/\/$/, ''))) return false
    if (ns !== undefined && ns !== info.namespace.replace(/^\/+|\/+$/g, '')) return false
    return true
  }
}

const DEFAULT_FAIL_BODY = {errors: ['internal error']}

export class FaultController {
  private rules: Rule[] = []
  private nextId = 1

  /** Adds a rule from a JSON-able spec. */
  add(spec: FaultSpec): FaultHandle {
    return this.addRule(spec)
  }

  private addRule(spec: FaultSpec): HoldHandle {
    if (!['latency', 'fail', 'drop', 'seal-after', 'hold'].includes(spec.type))
      throw new Error(`unknown fault type ${JSON.stringify(spec.type)}`)
    const held = spec.type === 'hold' ? new Hold() : undefined
    const rule: Rule = {
      id: this.nextId++,
      spec: {...spec},
      matcher: buildMatcher(spec),
      seen: 0,
      fired: 0,
      random: mulberry32(spec.seed ?? 1),
      held,
    }
    this.rules.push(rule)
    const remove = () => this.remove(rule.id)
    return {
      id: rule.id,
      get seen() {
        return rule.seen
      },
      get fired() {
        return rule.fired
      },
      get parked() {
        return held?.parked.size ?? 0
      },
      whenParked: (n) => held?.whenParked(n) ?? Promise.reject(new Error(`fault rule ${rule.id} is not a hold`)),
      release: () => held?.release(),
      drop: () => held?.release('drop'),
      remove,
    }
  }

  /**
   * Parks matching requests (every one, or `times` of them from the `nth` on) before they are
   * handled, until `release()`: the client sees no answer at all. `whenParked(n)` settles once n
   * of them wait at the same time, so "n requests in flight" is an event, not a guess.
   */
  hold(match: FaultMatch & {times?: number; nth?: number} = {}): HoldHandle {
    return this.addRule({...match, type: 'hold'})
  }

  /** Waits `ms` before handling every matching request (or `times` of them). */
  latency(ms: number, match: FaultMatch & {times?: number; nth?: number} = {}): FaultHandle {
    return this.add({...match, type: 'latency', ms})
  }

  /** Fails the Nth matching request (1-based) with `status` and `body`. */
  failNth(n: number, spec: FaultMatch & {status: number; body?: unknown; times?: number}): FaultHandle {
    return this.add({...spec, type: 'fail', nth: n, times: spec.times ?? 1})
  }

  /** Fails the next `k` matching requests. */
  failNext(k: number, spec: FaultMatch & {status: number; body?: unknown}): FaultHandle {
    return this.add({...spec, type: 'fail', nth: 1, times: k})
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
      stage?: DropDirective['stage']
      bytes?: number
      applyRequest?: boolean
      fraction?: number
      seed?: number
    } = {},
  ): FaultHandle {
    return this.add({...spec, type: 'drop', nth: spec.nth ?? 1, times: spec.times ?? 1})
  }

  /** Seals the server once `n` matching requests have been handled. */
  sealAfter(n: number, match: FaultMatch = {}): FaultHandle {
    return this.add({...match, type: 'seal-after', after: n})
  }

  /** Removes a rule; a hold lets its parked requests go on. */
  remove(id: number): void {
    for (const r of this.rules) if (r.id === id) r.held?.release()
    this.rules = this.rules.filter((r) => r.id !== id)
  }

  /** Removes every rule, letting held requests go on. */
  clear(): void {
    for (const r of this.rules) r.held?.release()
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
    const plan: FaultPlan = {delayMs: 0, sealAfter: false}
    for (const rule of this.rules) {
      if (!rule.matcher(info)) continue
      rule.seen++
      const spec = rule.spec
      if (spec.type === 'seal-after') {
        if (rule.fired === 0 && rule.seen >= (spec.after ?? 1)) {
          rule.fired++
          plan.sealAfter = true
        }
        continue
      }
      const from = spec.nth ?? 1
      const times = spec.times ?? (spec.nth !== undefined ? 1 : Infinity)
      if (rule.seen < from || rule.fired >= times) continue
      if (spec.fraction !== undefined && !(rule.random() < spec.fraction)) continue
      if (spec.type === 'hold') {
        if (rule.held!.released) continue
        rule.fired++
        const parked = rule.held!.park()
        plan.hold = plan.hold ? Promise.all([plan.hold, parked]).then((verdicts) => (verdicts.includes('drop') ? 'drop' : 'go')) : parked
      } else if (spec.type === 'latency') {
        rule.fired++
        plan.delayMs += Math.max(0, spec.ms ?? 0)
      } else if (spec.type === 'fail') {
        if (plan.fail || plan.drop) continue
        rule.fired++
        plan.fail = {status: spec.status ?? 500, body: spec.body === undefined ? DEFAULT_FAIL_BODY : spec.body}
      } else if (spec.type === 'drop') {
        if (plan.fail || plan.drop) continue
        rule.fired++
        plan.drop = {directive: {stage: spec.stage ?? 'after-headers', bytes: spec.bytes}, applyRequest: spec.applyRequest ?? true}
      }
    }
    return plan
  }
}
