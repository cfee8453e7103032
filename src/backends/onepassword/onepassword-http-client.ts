/**
 * HTTP to a 1Password Connect server's REST API with no SDK, over the kinds' shared transport
 * (../http-transport.ts: keep-alive connections, a bound on requests in flight, a timeout per
 * attempt, backoff honouring Retry-After): the GETs a read-only kind makes are retried on
 * 429/502/503/504 and connection failures. The official SDK (@1password/connect) was measured and not used: it loads
 * axios (about 110 ms against undici's 80 ms, and undici is loaded anyway), and axios errors carry
 * the request's headers, i.e. the token. Errors here never quote a token or a field value.
 */
import {BackendError} from '../../errors.js'
import {assertHeaderSafe, HttpTransport, retryAfterMs, TransportError, type TransportOptions} from '../http-transport.js'

/** One answer: the status and the parsed JSON body (null when there was none). */
export interface ConnectResponse {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: JSON of many shapes, always read defensively with optional chaining
  body: any
}

/** The transport's options (url, concurrency, timeouts, retries), and the backend's name for messages. */
export interface ConnectClientOptions
  extends Pick<TransportOptions, 'url' | 'concurrency' | 'timeoutMs' | 'retries' | 'minRetryMs' | 'maxRetryMs'> {
  backend: string
}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504])

export class ConnectClient {
  readonly url: string
  private readonly transport: HttpTransport

  constructor(private readonly opts: ConnectClientOptions) {
    this.transport = new HttpTransport(opts)
    this.url = this.transport.url
  }

  /** GET `path` (after the server's root, e.g. `v1/vaults`), retried; any HTTP answer comes back, no answer at all throws. */
  async get(path: string, token?: string): Promise<ConnectResponse> {
    const headers: Record<string, string> = {Accept: 'application/json'}
    if (token !== undefined) {
      assertHeaderSafe(this.opts.backend, token)
      headers.Authorization = `Bearer ${token}`
    }
    try {
      return await this.transport.retrying(async () => {
        const answer = await this.transport.attempt('GET', `/${path}`, {headers})
        const response: ConnectResponse = {status: answer.status, body: parseBody(answer.text)}
        if (TRANSIENT_STATUSES.has(answer.status))
          throw new TransportError(`answered ${answer.status}`, true, response, retryAfterMs(answer.headers))
        return response
      })
    } catch (err) {
      if (!(err instanceof TransportError)) throw err
      if (err.response) return err.response as ConnectResponse
      throw new BackendError(this.opts.backend, `cannot reach 1Password Connect at ${this.url}: ${err.reason}`, {
        hint: 'check the url in the backend manifest and that the Connect server is up',
      })
    }
  }

  /** Closes the connections (a later request opens new ones). */
  close(): Promise<void> {
    return this.transport.close()
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
