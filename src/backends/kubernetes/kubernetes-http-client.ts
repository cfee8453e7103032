/**
 * HTTP to the Kubernetes API server with no client library (@kubernetes/client-node 1.x takes
 * about 1.3 s and 70 MB to import, and 2.x does not load on Node 20: see docs/kubernetes.md),
 * over the kinds' shared transport: the connection (server, TLS, credential) is resolved on
 * first use, a bearer token is sent only as a header and read again once after a 401, 429 and
 * 500/502/503/504 are transient (retried with backoff, at least the server's Retry-After), and
 * no answer at all is a BackendError naming the server, never the token.
 */
import {BackendError} from '../../errors.js'
import {assertHeaderSafe, HttpTransport, retryAfterMs, TransportError, type TransportOptions} from '../http-transport.js'
import type {KubeConnection} from './kubernetes-connection.js'
import {KubeconfigError} from './kubernetes-kubeconfig.js'
import {type KubeResponse, unreachableError} from './kubernetes-errors.js'

export type KubeClientTimings = Pick<TransportOptions, 'timeoutMs' | 'retries' | 'minRetryMs' | 'maxRetryMs' | 'maxRetryAfterMs'>

export interface KubeClientOptions extends KubeClientTimings {
  /** Backend name, for messages. */
  backend: string
  /** Requests in flight at once. */
  concurrency: number
  /** Resolves the connection (reads the kubeconfig, the service account, …); a KubeconfigError says what is wrong. */
  connect: () => KubeConnection
}

export interface KubeRequest {
  body?: unknown
  /** Default `application/json`. */
  contentType?: string
  /** Default `application/json`. */
  accept?: string
}

const TRANSIENT = new Set([429, 500, 502, 503, 504])

interface Connected {
  connection: KubeConnection
  transport: HttpTransport
}

export class KubeClient {
  private connected?: Connected

  constructor(private readonly opts: KubeClientOptions) {}

  /** The connection, resolved once; its failure is a BackendError with the kubeconfig's own words. */
  connection(): KubeConnection {
    return this.connect().connection
  }

  private connect(): Connected {
    if (!this.connected) {
      let connection: KubeConnection
      try {
        connection = this.opts.connect()
      } catch (err) {
        if (err instanceof KubeconfigError) throw new BackendError(this.opts.backend, err.message, {hint: err.hint})
        throw err
      }
      const transport = new HttpTransport({...this.opts, url: connection.server, tls: connection.tls})
      this.connected = {connection, transport}
    }
    return this.connected
  }

  /**
   * One attempt: any answer but a transient one comes back; a transient status throws a retryable
   * TransportError carrying it; no answer throws a TransportError without one. A 401 is sent again
   * once with the credential read anew (a rotated token file, an expired exec credential).
   */
  async attempt(method: string, path: string, req: KubeRequest = {}): Promise<KubeResponse> {
    const {connection, transport} = this.connect()
    const send = async (): Promise<KubeResponse> => {
      const headers: Record<string, string> = {Accept: req.accept ?? 'application/json', 'User-Agent': 'secretctl'}
      const token = await this.token(connection)
      if (token !== undefined) headers.Authorization = `Bearer ${token}`
      if (req.body !== undefined) headers['Content-Type'] = req.contentType ?? 'application/json'
      const answer = await transport.attempt(method, path, {headers, body: req.body === undefined ? undefined : JSON.stringify(req.body)})
      return {status: answer.status, body: parseBody(answer.text), headers: answer.headers}
    }
    let r = await send()
    if (r.status === 401 && connection.credential.refresh()) r = await send()
    if (TRANSIENT.has(r.status)) throw new TransportError(`answered ${r.status}`, true, r, retryAfterMs(r.headers))
    return r
  }

  private async token(connection: KubeConnection): Promise<string | undefined> {
    let token: string | undefined
    try {
      token = await connection.credential.token()
    } catch (err) {
      if (err instanceof KubeconfigError) throw new BackendError(this.opts.backend, err.message, {hint: err.hint})
      throw err
    }
    if (token !== undefined) assertHeaderSafe(this.opts.backend, token, connection.credential.describe)
    return token
  }

  /** A request retried with backoff: the last answer whatever its status, or a BackendError when none came. */
  async request(method: string, path: string, req: KubeRequest = {}): Promise<KubeResponse> {
    try {
      return await this.retrying(() => this.attempt(method, path, req))
    } catch (err) {
      if (err instanceof TransportError && err.response) return err.response as KubeResponse
      throw this.unanswered(err)
    }
  }

  /** Runs `fn` with the backoff, again while it throws a retryable TransportError. */
  retrying<T>(fn: (attemptNumber: number) => Promise<T>, retry = true): Promise<T> {
    return this.connect().transport.retrying(fn, retry)
  }

  /** A TransportError without an answer as "cannot reach the server" (saying whether a write may have landed); anything else as is. */
  unanswered(err: unknown, sentWrite = false): unknown {
    if (!(err instanceof TransportError) || err.response) return err
    const server = this.connected?.connection.server ?? '(unresolved)'
    const landed = sentWrite && !NEVER_SENT.test(err.reason) ? ' (the write may or may not have landed)' : ''
    return unreachableError({backend: this.opts.backend, server}, `${err.reason}${landed}`)
  }

  async close(): Promise<void> {
    await this.connected?.transport.close()
  }
}

/** Connection failures that mean the request never reached the server. */
const NEVER_SENT = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|the url is not valid|TLS)/

function parseBody(text: string): KubeResponse['body'] {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    // A proxy's HTML page, say: say what it was, not what it said.
    return {message: `a non-JSON answer (${text.length} bytes)`}
  }
}
