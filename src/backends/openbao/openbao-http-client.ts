/**
 * HTTP to OpenBao's API with no SDK, shared by the driver, token rotation and the bootstrap
 * wizard, over the kinds' shared transport (../http-transport.ts: keep-alive pool, in-flight
 * bound, timeouts, backoff honouring Retry-After). Retries idempotent requests on
 * 429/502/503/504 and on connection failures. A sealed server's 503 is not retried: it is a
 * state, not a blip. Errors carry the backend, method, path, status and the server's error text:
 * never a token, never a value.
 */
import {assertHeaderSafe, HttpTransport, retryAfterMs, TransportError} from '../http-transport.js'
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

/**
 * One attempt that got no usable answer (the shared TransportError, its response an OpenBao
 * answer): kept under this name for the driver, rotation and bootstrap.
 */
export const OpenBaoTransportError = TransportError
export type OpenBaoTransportError = TransportError<BaoResponse>

export class OpenBaoClient {
  readonly url: string
  readonly backend: string
  private readonly transport: HttpTransport

  constructor(private readonly opts: OpenBaoClientOptions) {
    this.transport = new HttpTransport({...opts, url: opts.url})
    this.url = this.transport.url
    this.backend = opts.backend
  }

  /**
   * One attempt, no retry, inside the in-flight bound. Any HTTP answer comes back as a response,
   * except a transient status (when `transientStatuses` is on), which throws OpenBaoTransportError
   * with the response; a connection failure or timeout throws OpenBaoTransportError without one.
   */
  async attempt(method: string, path: string, opts: RequestOptions = {}): Promise<BaoResponse> {
    const headers = this.headers(opts)
    const answer = await this.transport.attempt(method, `/v1/${path}`, {
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    })
    const response: BaoResponse = {status: answer.status, body: parseBody(answer.text)}
    // A server (or a proxy) that echoes what it was sent must not carry a token or a value into a message.
    if (answer.status >= 400) scrubEchoes(response, [opts.token, ...stringsIn(opts.body)])
    if (opts.transientStatuses !== false && TRANSIENT_STATUSES.has(answer.status) && !isSealed(response)) {
      throw new TransportError(`answered ${answer.status}`, true, response, retryAfterMs(answer.headers))
    }
    return response
  }

  /** Closes the connections (a later request opens new ones). */
  close(): Promise<void> {
    return this.transport.close()
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
      if (err instanceof TransportError) {
        if (err.response) return err.response as BaoResponse
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
    return this.transport.retrying(fn, retry)
  }

  private headers(opts: RequestOptions): Record<string, string> {
    // Vault's and OpenBao's own clients send X-Vault-Request; a listener may require it.
    const headers: Record<string, string> = {'X-Vault-Request': 'true'}
    if (opts.token !== undefined) {
      assertHeaderSafe(this.backend, opts.token)
      headers['X-Vault-Token'] = opts.token
    }
    const namespace = opts.namespace ?? (opts.withNamespace === false ? undefined : this.opts.namespace)
    if (namespace) headers['X-Vault-Namespace'] = namespace
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    return headers
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
