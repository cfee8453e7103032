/**
 * HTTP to OpenBao's API with no SDK: Node's fetch (undici keeps connections alive by default), a
 * bound on requests in flight, a timeout per request, and retries with backoff (p-retry) for
 * idempotent requests on 429/502/503/504 and connection errors. A sealed server's 503 is not
 * retried: it is a state, not a blip. Errors carry the backend, method, path and status, never a
 * token or a value.
 */
import pLimit, {type LimitFunction} from 'p-limit'
import pRetry, {AbortError} from 'p-retry'
import {BackendError} from '../../errors.js'

export interface OpenBaoClientOptions {
  /** Backend name, for messages. */
  backend: string
  url: string
  namespace?: string
  /** Requests in flight at once (default 16). */
  concurrency?: number
  timeoutMs?: number
  /** Retries after the first attempt of a retryable request (default 4). */
  retries?: number
  /** First backoff delay in ms (default 100), doubling each retry up to 2 s. */
  minRetryMs?: number
}

export interface BaoResponse {
  status: number
  body: any
}

export interface RequestOptions {
  token?: string
  body?: unknown
  /** Safe to repeat: retried on transient failures. */
  idempotent?: boolean
  /** Send the X-Vault-Namespace header (default true; sys/health refuses it). */
  withNamespace?: boolean
}

const RETRY_STATUSES = new Set([429, 502, 503, 504])

/** A failure worth another attempt: a connection error or a transient status. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly response?: BaoResponse,
  ) {
    super(message)
  }
}

export function isSealed(r: BaoResponse): boolean {
  return r.status === 503 && Array.isArray(r.body?.errors) && r.body.errors.some((e: unknown) => typeof e === 'string' && /sealed/i.test(e))
}

export class OpenBaoClient {
  readonly url: string
  private readonly limit: LimitFunction

  constructor(private readonly opts: OpenBaoClientOptions) {
    this.url = opts.url.replace(/\/+$/, '')
    this.limit = pLimit(opts.concurrency ?? 16)
  }

  /** One attempt, no retry: throws TransientError on a connection error or a transient status. */
  attempt(method: string, path: string, opts: RequestOptions = {}): Promise<BaoResponse> {
    return this.limit(async () => {
      const headers: Record<string, string> = {}
      if (opts.token) headers['X-Vault-Token'] = opts.token
      if (this.opts.namespace && opts.withNamespace !== false) headers['X-Vault-Namespace'] = this.opts.namespace
      if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
      let res: Response
      try {
        res = await fetch(`${this.url}/v1/${path}`, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
        })
      } catch (err) {
        throw new TransientError(`cannot reach OpenBao at ${this.url}: ${connectionErrorCode(err)}`)
      }
      let body: any = null
      const text = await res.text().catch(() => {
        throw new TransientError(`OpenBao at ${this.url} dropped the connection answering ${method} ${path}`)
      })
      if (text) {
        try {
          body = JSON.parse(text)
        } catch {
          body = {errors: [`non-JSON response (${text.length} bytes)`]}
        }
      }
      const response = {status: res.status, body}
      if (RETRY_STATUSES.has(res.status) && !isSealed(response)) throw new TransientError(`${method} ${path} answered ${res.status}`, response)
      return response
    })
  }

  /** A request, retried with backoff when idempotent. Transport failures become BackendErrors. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<BaoResponse> {
    try {
      return await pRetry(
        async () => {
          try {
            return await this.attempt(method, path, opts)
          } catch (err) {
            if (err instanceof TransientError && opts.idempotent) throw err
            throw new AbortError(err as Error)
          }
        },
        {retries: this.opts.retries ?? 4, minTimeout: this.opts.minRetryMs ?? 100, maxTimeout: 2_000, factor: 2, randomize: true},
      )
    } catch (err) {
      if (err instanceof TransientError) {
        if (err.response) return err.response
        throw new BackendError(this.opts.backend, err.message, {hint: 'check the url in the backend manifest and that OpenBao is up'})
      }
      throw err
    }
  }
}

function connectionErrorCode(err: unknown): string {
  const e = err as {name?: string; cause?: {code?: string; message?: string}; message?: string}
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out'
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? 'connection failed'
}

/** The server's error texts, joined: what OpenBao said, never what was sent. */
export function errorsOf(body: any): string {
  return Array.isArray(body?.errors) && body.errors.length ? body.errors.join('; ') : 'no error text'
}
