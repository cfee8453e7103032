/**
 * HTTP for the kinds that talk to a server (the kinds that talk HTTP), with no SDK: undici's request
 * API over a pool of keep-alive connections per server, with the server's TLS settings (CA,
 * client certificate, server name), a bound on requests in flight (p-limit), a timeout per
 * attempt (headers, then body), and retries with exponential backoff (p-retry) that wait at least
 * what a `Retry-After` header asks. What an answer means is the kind's business: this module
 * returns every HTTP answer, and throws TransportError only when none came, with a safe reason (a
 * code, never undici's message, which can quote a header and so a token).
 */
import pLimit, {type LimitFunction} from 'p-limit'
import pRetry from 'p-retry'
import type {Dispatcher, Pool} from 'undici'
import {BackendError} from '../errors.js'
import {Deadlines, type Expiring} from './attempt-deadlines.js'

export interface TlsSettings {
  /** PEM certificate authorities to trust instead of Node's bundle. */
  ca?: string
  /** PEM client certificate and key (mutual TLS). */
  cert?: string
  key?: string
  /** The name the server's certificate must carry, when it is not the URL's host. */
  servername?: string
  /** false only when the configuration asks to skip verification. */
  rejectUnauthorized?: boolean
}

export interface TransportOptions {
  /** The server's base URL; a path (a reverse proxy's prefix) goes before every request's path. */
  url: string
  /** Requests in flight at once, and connections kept open (default 16). */
  concurrency?: number
  /** Per attempt, headers and body (default 15 000). */
  timeoutMs?: number
  /** Retries after the first attempt of a retried call (default 3: four attempts in all). */
  retries?: number
  /** First backoff delay in ms (default 100), doubling (randomised ×1–2) each retry. */
  minRetryMs?: number
  /** Longest backoff delay in ms (default 2 000). */
  maxRetryMs?: number
  /** Longest `Retry-After` honoured, in ms (default 30 000): a longer one waits this long. */
  maxRetryAfterMs?: number
  tls?: TlsSettings
}

/** One HTTP answer: status, headers (lower-case names) and the body as text. */
export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

export interface AttemptOptions {
  headers?: Record<string, string>
  body?: string
}

/**
 * A call that got no usable answer: the connection failed or timed out (no `response`), or the
 * server answered a status the caller treats as transient (`response` set). `retryable` says
 * whether another attempt may help; `retryAfterMs` is the server's `Retry-After`; `reason` is safe
 * to show.
 */
export class TransportError<R = unknown> extends Error {
  constructor(
    readonly reason: string,
    readonly retryable: boolean,
    readonly response?: R,
    readonly retryAfterMs?: number,
  ) {
    super(reason)
    this.name = 'TransportError'
  }
}

/** Characters an HTTP header value can carry; a credential outside them is refused before sending (undici would echo it in its error). */
const HEADER_SAFE = /^[\x21-\x7e]+$/

/** Throws a BackendError (naming what, never the value) when a credential cannot go in a header. */
export function assertHeaderSafe(backend: string, value: string, what = 'the token'): void {
  if (!HEADER_SAFE.test(value)) {
    throw new BackendError(backend, `${what} holds characters an HTTP header cannot carry (a space or line break inside it?)`, {
      hint: 'store it again without them',
    })
  }
}

/** `Retry-After` in ms: seconds, or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: HttpAnswer['headers'], now = Date.now()): number | undefined {
  const raw = headers['retry-after']
  const value = Array.isArray(raw) ? raw[0] : raw
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

export class HttpTransport {
  /** The base URL without a trailing slash. */
  readonly url: string
  private readonly basePath: string
  private readonly limit: LimitFunction
  private readonly timeoutMs: number
  private readonly deadlines: Deadlines
  private pool?: Pool

  constructor(private readonly opts: TransportOptions) {
    this.url = opts.url.replace(/\/+$/, '')
    this.basePath = basePathOf(this.url)
    this.limit = pLimit(opts.concurrency ?? 16)
    this.timeoutMs = opts.timeoutMs ?? 15_000
    this.deadlines = new Deadlines(this.timeoutMs)
  }

  /** One attempt, no retry, inside the in-flight bound: any HTTP answer, or a TransportError when none came. */
  attempt(method: string, path: string, opts: AttemptOptions = {}): Promise<HttpAnswer> {
    return this.limit(async () => {
      const pool = await this.connections()
      try {
        // undici's dispatch API with a handler that gathers the answer (answer-handler below), not its request
        // API: that one makes a stream for each body and an async resource and abort listener for each request,
        // about a fifth of a migration's CPU in undici (docs/performance.md). The same pool and options.
        return await new Promise<HttpAnswer>((resolve, reject) => {
          const handler = new AnswerHandler(resolve, reject, this.deadlines)
          pool.dispatch(
            {
              path: `${this.basePath}${path}`,
              method: method as Dispatcher.HttpMethod,
              headers: opts.headers,
              body: opts.body,
              // The attempt's deadline covers headers and body; undici's own timeouts (coarse, about a second,
              // and each a timer per request) would only ever fire after it, so they are off.
              headersTimeout: 0,
              bodyTimeout: 0,
            },
            handler,
          )
        })
      } catch (err) {
        throw transportFailure(err, this.timeoutMs)
      }
    })
  }

  /**
   * Runs `fn` again while it throws a retryable TransportError, with exponential backoff, and at
   * least the wait a `Retry-After` asked for. `fn` gets the attempt's number (1, 2, …).
   */
  async retrying<T>(fn: (attemptNumber: number) => Promise<T>, retry = true): Promise<T> {
    // The first attempt outside p-retry: most calls succeed at once, and p-retry's set-up per call was a
    // few per cent of a migration's CPU (docs/performance.md). A failure goes to p-retry as its first
    // attempt's, so what follows (backoff, Retry-After, giving up) is p-retry's as before.
    let first: unknown
    try {
      return await fn(1)
    } catch (err) {
      first = err
    }
    const cap = this.opts.maxRetryAfterMs ?? 30_000
    return pRetry((attemptNumber) => (attemptNumber === 1 ? Promise.reject(first) : fn(attemptNumber)), {
      retries: retry ? (this.opts.retries ?? 3) : 0,
      minTimeout: this.opts.minRetryMs ?? 100,
      maxTimeout: this.opts.maxRetryMs ?? 2_000,
      factor: 2,
      randomize: true,
      shouldRetry: ({error}) => error instanceof TransportError && error.retryable,
      onFailedAttempt: async ({error, retriesLeft}) => {
        const wait = error instanceof TransportError && error.retryable ? error.retryAfterMs : undefined
        if (wait && retriesLeft > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, cap)))
      },
    })
  }

  /**
   * The keep-alive connections to this server, opened on first use: at most `concurrency`, idle
   * ones not holding the process open. undici's own request API rather than fetch: measured on
   * a test server, fetch spent about four times the CPU per request (docs/performance.md).
   */
  private async connections(): Promise<Pool> {
    if (!this.pool) {
      let origin: string
      try {
        origin = new URL(this.url).origin
      } catch {
        throw new TransportError('the url is not valid', false)
      }
      // Loaded on first use: a run that never talks to a server does not pay for loading undici.
      const {Pool, util} = await import('undici')
      parseHeaders ??= util.parseHeaders
      this.pool ??= new Pool(origin, {
        connections: this.opts.concurrency ?? 16,
        connect: {timeout: this.timeoutMs, ...(this.opts.tls ?? {})},
      })
    }
    return this.pool
  }

  /** Closes the connections (a later request opens new ones). */
  async close(): Promise<void> {
    const pool = this.pool
    this.pool = undefined
    await pool?.close()
  }
}

/** undici's parser of raw response headers (as its request API uses), set when undici is first loaded. */
let parseHeaders: ((raw: Buffer[]) => HttpAnswer['headers']) | undefined

/**
 * Gathers one attempt's answer from undici's dispatch callbacks (undici's Dispatcher.dispatch handler):
 * the status and headers of the final answer (1xx ones are skipped, as undici's request API does), the body
 * as text, and a failure as undici reports it. Its deadline aborts it as a signal did: before the request is on
 * a connection the abort waits for it, after that it ends the attempt at once.
 */
class AnswerHandler implements Dispatcher.DispatchHandlers, Expiring {
  due = 0
  private abort?: (err?: Error) => void
  private timedOut?: Error
  private status = 0
  private headers: HttpAnswer['headers'] = {}
  private readonly chunks: Buffer[] = []
  private length = 0
  private settled = false

  constructor(
    private readonly resolve: (answer: HttpAnswer) => void,
    private readonly reject: (err: unknown) => void,
    private readonly deadlines: Deadlines,
  ) {
    deadlines.start(this)
  }

  expire(): void {
    this.timedOut = new DOMException('the attempt timed out', 'TimeoutError')
    this.abort?.(this.timedOut)
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort
    if (this.timedOut) abort(this.timedOut)
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true
    this.status = statusCode
    this.headers = (parseHeaders as NonNullable<typeof parseHeaders>)(rawHeaders)
    return true
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk)
    this.length += chunk.length
    return true
  }

  onComplete(): void {
    if (this.settled) return
    this.settled = true
    this.deadlines.close(this)
    this.resolve({status: this.status, headers: this.headers, text: bodyText(this.chunks, this.length)})
  }

  onError(err: Error): void {
    if (this.settled) return
    this.settled = true
    this.deadlines.close(this)
    this.reject(err)
  }
}

/** The body as UTF-8 text, a byte-order mark skipped (as undici's `body.text()`). */
function bodyText(chunks: Buffer[], length: number): string {
  if (length === 0) return ''
  const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length)
  const bom = body.length > 2 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf
  return body.toString('utf8', bom ? 3 : 0)
}

function basePathOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/\/+$/, '')
  } catch {
    return '' // reported as an invalid url at the first request
  }
}

/** Connection failures that mean the request never reached the server. */
export const NEVER_SENT = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|the url is not valid)$/

/** Connection codes worth another attempt: refused, reset, closed, DNS blips, timeouts. */
const RETRYABLE_CODES = /^(E[A-Z]+|UND_ERR_(SOCKET|CLOSED|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT))$/

const CODE_WORDS: Record<string, string> = {
  UND_ERR_SOCKET: 'connection closed (UND_ERR_SOCKET)',
  UND_ERR_CLOSED: 'connection closed (UND_ERR_CLOSED)',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  EPROTO: 'TLS handshake failed (EPROTO: does the server speak HTTPS on this port?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS: the server's certificate is self-signed and not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)",
  SELF_SIGNED_CERT_IN_CHAIN: "TLS: the server's certificate chain ends in an untrusted CA (SELF_SIGNED_CERT_IN_CHAIN)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS: the server's certificate is not signed by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "TLS: the issuer of the server's certificate is not trusted (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS: the server's certificate is not for this host name (ERR_TLS_CERT_ALTNAME_INVALID)",
  CERT_HAS_EXPIRED: "TLS: the server's certificate has expired (CERT_HAS_EXPIRED)",
}

/**
 * undici's failure as a safe reason: a code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET for "other
 * side closed", a TLS verification code) or a timeout. Never undici's own message text: it can
 * quote a header's value, which could be a token.
 */
function transportFailure(err: unknown, timeoutMs: number): TransportError {
  if (err instanceof TransportError) return err
  const e = err as {name?: string} | undefined
  if (e?.name === 'TimeoutError') return new TransportError(`no answer within ${timeoutMs} ms`, true)
  const code = codeOf(err)
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return new TransportError(`no answer within ${timeoutMs} ms`, true)
  if (code === 'ERR_INVALID_URL' || code === 'UND_ERR_INVALID_ARG') return new TransportError('the url is not valid', false)
  if (code && CODE_WORDS[code]?.startsWith('TLS')) return new TransportError(CODE_WORDS[code]!, false)
  if (code && RETRYABLE_CODES.test(code)) return new TransportError(CODE_WORDS[code] ?? code, true)
  if (code) return new TransportError(CODE_WORDS[code] ?? code, false)
  return new TransportError(`the request failed (${e?.name ?? 'unknown error'})`, false)
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
