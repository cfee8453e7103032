/**
 * HTTP to a 1Password Connect server's REST API with no SDK: keep-alive connections
 * (http-connections.ts, as the OpenBao driver has), a bound on requests in flight, a timeout
 * per attempt and retries with backoff for the GETs a read-only kind makes, on 429/502/503/504 and
 * connection failures. The official SDK (@1password/connect) was measured and not used: it loads
 * axios (about 110 ms against undici's 80 ms, and undici is loaded anyway), and axios errors carry
 * the request's headers, i.e. the token. Errors here never quote a token or a field value.
 */
import pLimit, {type LimitFunction} from 'p-limit'
import pRetry from 'p-retry'
import {BackendError} from '../../errors.js'
import {HEADER_SAFE, transportReason} from '../http-failure.js'
import {HttpConnections} from '../http-connections.js'

/** One answer: the status and the parsed JSON body (null when there was none). */
export interface ConnectResponse {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: JSON of many shapes, always read defensively with optional chaining
  body: any
}

export interface ConnectClientOptions {
  /** Backend name, for messages. */
  backend: string
  url: string
  /** Requests in flight at once (default 16). */
  concurrency?: number
  /** Per attempt, headers and body (default 15 000). */
  timeoutMs?: number
  /** Retries after the first attempt (default 3). */
  retries?: number
  /** First backoff delay in ms (default 100), doubling (randomised ×1–2) each retry. */
  minRetryMs?: number
  /** Longest backoff delay in ms (default 2 000). */
  maxRetryMs?: number
}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504])

/** An attempt that got no usable answer; `response` set for a transient status. */
class ConnectTransportError extends Error {
  constructor(
    readonly reason: string,
    readonly retryable: boolean,
    readonly response?: ConnectResponse,
  ) {
    super(reason)
  }
}

export class ConnectClient {
  readonly url: string
  private readonly limit: LimitFunction
  private readonly timeoutMs: number
  /** A url's path (Connect behind a reverse proxy under a prefix) goes before `/v1/`. */
  private readonly basePath: string
  private readonly http: HttpConnections

  constructor(private readonly opts: ConnectClientOptions) {
    this.url = opts.url.replace(/\/+$/, '')
    this.limit = pLimit(opts.concurrency ?? 16)
    this.timeoutMs = opts.timeoutMs ?? 15_000
    let basePath = ''
    try {
      basePath = new URL(this.url).pathname.replace(/\/+$/, '')
    } catch {
      // reported as an invalid url at the first request
    }
    this.basePath = basePath
    this.http = new HttpConnections(this.url, opts.concurrency ?? 16, this.timeoutMs)
  }

  /** GET `path` (after the server's root, e.g. `v1/vaults`), retried; any HTTP answer comes back, no answer at all throws. */
  async get(path: string, token?: string): Promise<ConnectResponse> {
    const headers: Record<string, string> = {Accept: 'application/json'}
    if (token !== undefined) {
      if (!HEADER_SAFE.test(token)) {
        throw new BackendError(
          this.opts.backend,
          'the token holds characters an HTTP header cannot carry (a space or line break inside it?)',
          {
            hint: 'store the token again without them',
          },
        )
      }
      headers.Authorization = `Bearer ${token}`
    }
    try {
      return await pRetry(() => this.attempt(path, headers), {
        retries: this.opts.retries ?? 3,
        minTimeout: this.opts.minRetryMs ?? 100,
        maxTimeout: this.opts.maxRetryMs ?? 2_000,
        factor: 2,
        randomize: true,
        shouldRetry: ({error}) => error instanceof ConnectTransportError && error.retryable,
      })
    } catch (err) {
      if (!(err instanceof ConnectTransportError)) throw err
      if (err.response) return err.response
      throw new BackendError(this.opts.backend, `cannot reach 1Password Connect at ${this.url}: ${err.reason}`, {
        hint: 'check the url in the backend manifest and that the Connect server is up',
      })
    }
  }

  private attempt(path: string, headers: Record<string, string>): Promise<ConnectResponse> {
    return this.limit(async () => {
      let answer: {status: number; text: string}
      try {
        answer = await this.http.send({path: `${this.basePath}/${path}`, method: 'GET', headers})
      } catch (err) {
        const {reason, retryable} = transportReason(err, this.timeoutMs)
        throw new ConnectTransportError(reason, retryable)
      }
      const response: ConnectResponse = {status: answer.status, body: parseBody(answer.text)}
      if (TRANSIENT_STATUSES.has(answer.status)) throw new ConnectTransportError(`answered ${answer.status}`, true, response)
      return response
    })
  }

  /** Closes the connections (a later request opens new ones). */
  close(): Promise<void> {
    return this.http.close()
  }
}

function parseBody(text: string): ConnectResponse['body'] {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    // A proxy's HTML page, say: say what it was, not what it said.
    return {message: `a non-JSON answer (${text.length} bytes)`}
  }
}

/** Connect's `{status, message}` error text (never a value: Connect's errors name ids and titles only). */
export function messageOf(r: ConnectResponse): string {
  return typeof r.body?.message === 'string' && r.body.message ? r.body.message : 'no error text'
}
