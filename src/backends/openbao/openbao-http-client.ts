/**
 * HTTP to OpenBao's API with no SDK, shared by the driver, token rotation and the bootstrap
 * wizard. Node's global fetch (undici: keep-alive connections pooled per origin by default), a
 * bound on requests in flight (p-limit), a timeout per attempt (AbortSignal.timeout) and retries
 * with exponential backoff (p-retry) for idempotent requests on 429/502/503/504 and on connection
 * failures. A sealed server's 503 is not retried: it is a state, not a blip. Errors carry the
 * backend, method, path, status and the server's error text: never a token, never a value.
 */
import pLimit, {type LimitFunction} from 'p-limit'
import pRetry from 'p-retry'
import {BackendError} from '../../errors.js'
import {isSealed, unreachableError, type BaoResponse} from './openbao-errors.js'

export type {BaoResponse} from './openbao-errors.js'

export interface OpenBaoClientOptions {
  /** Backend name, for messages. */
  backend: string
  url: string
  /** Sent as `X-Vault-Namespace` unless a request says otherwise. */
  namespace?: string
  /** Requests in flight at once (default 16). */
  concurrency?: number
  /** Per attempt, headers and body (default 15 000). */
  timeoutMs?: number
  /** Retries after the first attempt of a retryable request (default 3: four attempts in all). */
  retries?: number
  /** First backoff delay in ms (default 100), doubling (randomised ×1–2) each retry. */
  minRetryMs?: number
  /** Longest backoff delay in ms (default 2 000). */
  maxRetryMs?: number
}

export interface RequestOptions {
  token?: string
  body?: unknown
  /** Safe to repeat: retried on connection failures and transient statuses. */
  idempotent?: boolean
  /** Send the client's namespace header (default true; sys/health and sys/seal refuse it). */
  withNamespace?: boolean
  /** This request's namespace instead of the client's. */
  namespace?: string
  /** Whether 429/502/503/504 are failures worth retrying (default true); false for sys/health, whose status is the answer. */
  transientStatuses?: boolean
}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504])

/** Characters an HTTP header value can carry; a token outside them is refused before sending (undici would echo it in its error). */
const HEADER_SAFE = /^[\x21-\x7e]+$/

/**
 * One attempt that got no usable answer: the connection failed or timed out (no `response`), or
 * the server answered a transient status (`response` set). `retryable` says whether another
 * attempt may help; `reason` is safe to show (a code, never a message that could echo a header).
 */
export class OpenBaoTransportError extends Error {
  constructor(
    readonly reason: string,
    readonly retryable: boolean,
    readonly response?: BaoResponse,
  ) {
    super(reason)
    this.name = 'OpenBaoTransportError'
  }
}

export class OpenBaoClient {
  readonly url: string
  readonly backend: string
  private readonly limit: LimitFunction
  private readonly timeoutMs: number

  constructor(private readonly opts: OpenBaoClientOptions) {
    this.url = opts.url.replace(/\/+$/, '')
    this.backend = opts.backend
    this.limit = pLimit(opts.concurrency ?? 16)
    this.timeoutMs = opts.timeoutMs ?? 15_000
  }

  /**
   * One attempt, no retry, inside the in-flight bound. Any HTTP answer comes back as a response,
   * except a transient status (when `transientStatuses` is on), which throws OpenBaoTransportError
   * with the response; a connection failure or timeout throws OpenBaoTransportError without one.
   */
  async attempt(method: string, path: string, opts: RequestOptions = {}): Promise<BaoResponse> {
    const headers = this.headers(opts)
    return this.limit(async () => {
      let res: Response
      try {
        res = await fetch(`${this.url}/v1/${path}`, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(this.timeoutMs),
        })
      } catch (err) {
        throw transportFailure(err, this.timeoutMs)
      }
      let text: string
      try {
        text = await res.text()
      } catch (err) {
        // The status line arrived but the body did not: for a write, it may have landed.
        throw transportFailure(err, this.timeoutMs)
      }
      const response: BaoResponse = {status: res.status, body: parseBody(text)}
      if (opts.transientStatuses !== false && TRANSIENT_STATUSES.has(res.status) && !isSealed(response)) {
        throw new OpenBaoTransportError(`answered ${res.status}`, true, response)
      }
      return response
    })
  }

  /**
   * A request, retried with backoff when `idempotent`. Resolves with the last answer whatever its
   * status; throws a BackendError only when no answer came (`cannot reach OpenBao at URL: CODE`).
   */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<BaoResponse> {
    try {
      return await this.retrying(() => this.attempt(method, path, opts), opts.idempotent === true)
    } catch (err) {
      if (err instanceof OpenBaoTransportError) {
        if (err.response) return err.response
        throw unreachableError(this, err.reason)
      }
      throw err
    }
  }

  /** Runs `fn` with this client's backoff, again while it throws a retryable OpenBaoTransportError. */
  retrying<T>(fn: (attemptNumber: number) => Promise<T>, retry = true): Promise<T> {
    return pRetry(fn, {
      retries: retry ? (this.opts.retries ?? 3) : 0,
      minTimeout: this.opts.minRetryMs ?? 100,
      maxTimeout: this.opts.maxRetryMs ?? 2_000,
      factor: 2,
      randomize: true,
      shouldRetry: ({error}) => error instanceof OpenBaoTransportError && error.retryable,
    })
  }

  private headers(opts: RequestOptions): Record<string, string> {
    // Vault's and OpenBao's own clients send X-Vault-Request; a listener may require it.
    const headers: Record<string, string> = {'X-Vault-Request': 'true'}
    if (opts.token !== undefined) {
      if (!HEADER_SAFE.test(opts.token)) {
        throw new BackendError(this.backend, 'the token holds characters an HTTP header cannot carry (a space or line break inside it?)', {
          hint: 'store the token again without them',
        })
      }
      headers['X-Vault-Token'] = opts.token
    }
    const namespace = opts.namespace ?? (opts.withNamespace === false ? undefined : this.opts.namespace)
    if (namespace) headers['X-Vault-Namespace'] = namespace
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    return headers
  }
}

function parseBody(text: string): any {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    // A proxy's HTML page, say: say what it was, not what it said.
    return {errors: [`a non-JSON answer (${text.length} bytes)`]}
  }
}

/** Connection codes worth another attempt: refused, reset, closed, DNS blips, timeouts. */
const RETRYABLE_CODES = /^(E[A-Z]+|UND_ERR_(SOCKET|CLOSED|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT))$/

const CODE_WORDS: Record<string, string> = {
  UND_ERR_SOCKET: 'connection closed (UND_ERR_SOCKET)',
  UND_ERR_CLOSED: 'connection closed (UND_ERR_CLOSED)',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer (UND_ERR_HEADERS_TIMEOUT)',
  UND_ERR_BODY_TIMEOUT: 'answer cut short (UND_ERR_BODY_TIMEOUT)',
}

/**
 * fetch's failure as a safe reason: `fetch failed` with a cause code (ECONNREFUSED, ECONNRESET,
 * UND_ERR_SOCKET for "other side closed" / "socket hang up"), or a timeout. Never fetch's own
 * message text: undici quotes an invalid header's value, which could be a token.
 */
function transportFailure(err: unknown, timeoutMs: number): OpenBaoTransportError {
  const e = err as {name?: string} | undefined
  if (e?.name === 'TimeoutError') return new OpenBaoTransportError(`no answer within ${timeoutMs} ms`, true)
  const code = codeOf(err)
  if (code === 'ERR_INVALID_URL') return new OpenBaoTransportError('the url is not valid', false)
  if (code && RETRYABLE_CODES.test(code)) return new OpenBaoTransportError(CODE_WORDS[code] ?? code, true)
  if (code) return new OpenBaoTransportError(code, false)
  return new OpenBaoTransportError(`the request failed (${e?.name ?? 'unknown error'})`, false)
}

/** The first `code` along an error's cause chain. */
function codeOf(err: unknown): string | undefined {
  let e = err as {code?: unknown; cause?: unknown} | undefined
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') return e.code
    e = e.cause as typeof e
  }
  return undefined
}
