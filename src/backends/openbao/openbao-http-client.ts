/**
 * HTTP to OpenBao's API with no SDK, shared by the driver, token rotation and the bootstrap
 * wizard. undici's request API over a pool of keep-alive connections per server, a bound on
 * requests in flight (p-limit), a timeout per attempt (headers, then body) and retries
 * with exponential backoff (p-retry) for idempotent requests on 429/502/503/504 and on connection
 * failures. A sealed server's 503 is not retried: it is a state, not a blip. Errors carry the
 * backend, method, path, status and the server's error text: never a token, never a value.
 */
import pLimit, {type LimitFunction} from 'p-limit'
import pRetry from 'p-retry'
import {BackendError} from '../../errors.js'
import {isSealed, unreachableError, type BaoResponse} from './openbao-errors.js'
import {HEADER_SAFE, transportReason} from '../http-failure.js'
import {HttpConnections} from '../http-connections.js'

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
  /** A url's path (OpenBao behind a reverse proxy under a prefix) goes before `/v1/`. */
  private readonly basePath: string
  private readonly http: HttpConnections

  constructor(private readonly opts: OpenBaoClientOptions) {
    this.url = opts.url.replace(/\/+$/, '')
    this.basePath = basePathOf(this.url)
    this.backend = opts.backend
    this.limit = pLimit(opts.concurrency ?? 16)
    this.timeoutMs = opts.timeoutMs ?? 15_000
    this.http = new HttpConnections(this.url, opts.concurrency ?? 16, this.timeoutMs)
  }

  /**
   * One attempt, no retry, inside the in-flight bound. Any HTTP answer comes back as a response,
   * except a transient status (when `transientStatuses` is on), which throws OpenBaoTransportError
   * with the response; a connection failure or timeout throws OpenBaoTransportError without one.
   */
  async attempt(method: string, path: string, opts: RequestOptions = {}): Promise<BaoResponse> {
    const headers = this.headers(opts)
    return this.limit(async () => {
      let answer: {status: number; text: string}
      try {
        const body = opts.body === undefined ? undefined : JSON.stringify(opts.body)
        answer = await this.http.send({path: `${this.basePath}/v1/${path}`, method, headers, body})
      } catch (err) {
        throw transportFailure(err, this.timeoutMs)
      }
      const status = answer.status
      const response: BaoResponse = {status, body: parseBody(answer.text)}
      // A server (or a proxy) that echoes what it was sent must not carry a token or a value into a message.
      if (status >= 400) scrubEchoes(response, [opts.token, ...stringsIn(opts.body)])
      if (opts.transientStatuses !== false && TRANSIENT_STATUSES.has(status) && !isSealed(response)) {
        throw new OpenBaoTransportError(`answered ${status}`, true, response)
      }
      return response
    })
  }

  /** Closes the connections (a later request opens new ones). */
  close(): Promise<void> {
    return this.http.close()
  }

  /**
   * A request, retried with backoff when `idempotent`. Resolves with the last answer whatever its
   * status; throws a BackendError only when no answer came (`cannot reach OpenBao at URL: CODE`).
   */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<BaoResponse> {
    const started = Date.now()
    let attempts = 0
    try {
      return await this.retrying(() => {
        attempts++
        return this.attempt(method, path, opts)
      }, opts.idempotent === true)
    } catch (err) {
      if (err instanceof OpenBaoTransportError) {
        if (err.response) return err.response
        // How long the user waited for a server that never answered, not only the last attempt's limit.
        const spent =
          attempts > 1 && /^no answer/.test(err.reason) ? ` (${attempts} attempts over ${Math.round((Date.now() - started) / 1000)} s)` : ''
        throw unreachableError(this, `${err.reason}${spent}`)
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

function basePathOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/\/+$/, '')
  } catch {
    return '' // reported as an invalid url at the first request
  }
}

function parseBody(text: string): BaoResponse['body'] {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    // A proxy's HTML page, say: say what it was, not what it said.
    return {errors: [`a non-JSON answer (${text.length} bytes)`]}
  }
}

/** Every string inside a request body (the values a write sends). */
function stringsIn(body: unknown, out: string[] = []): string[] {
  if (typeof body === 'string') out.push(body)
  else if (body && typeof body === 'object') for (const v of Object.values(body)) stringsIn(v, out)
  return out
}

/** Replaces, in the answer's error texts, anything the request sent that is long enough to be a credential or a value. */
function scrubEchoes(response: BaoResponse, sent: Array<string | undefined>): void {
  const errors: unknown = response.body?.errors
  const secrets = sent.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length)
  if (!Array.isArray(errors) || !secrets.length) return
  response.body.errors = errors.map((e: unknown) => (typeof e === 'string' ? secrets.reduce((text, s) => text.split(s).join('***'), e) : e))
}

/** undici's failure as an OpenBaoTransportError with a safe reason (http-failure.ts). */
function transportFailure(err: unknown, timeoutMs: number): OpenBaoTransportError {
  if (err instanceof OpenBaoTransportError) return err
  const {reason, retryable} = transportReason(err, timeoutMs)
  return new OpenBaoTransportError(reason, retryable)
}
