/**
 * Keep-alive HTTP connections to one server, for the kinds that talk HTTP (OpenBao, 1Password
 * Connect): undici's request API over a pool opened on first use (a run that never talks to the
 * server does not load undici), at most `connections` of them, idle ones not holding the process
 * open, and a timeout on the whole attempt. undici's request API rather than fetch: measured on
 * the OpenBao test server, fetch spent about four times the CPU per request (docs/performance.md).
 * Failures are undici's own errors, for http-failure.ts to turn into a safe reason.
 */
import type {Dispatcher, Pool} from 'undici'

export interface HttpRequest {
  /** The path and query, from the server's root. */
  path: string
  method: string
  headers: Record<string, string>
  body?: string
}

export class HttpConnections {
  private pool?: Pool

  constructor(
    private readonly url: string,
    private readonly connections: number,
    private readonly timeoutMs: number,
  ) {}

  /** One attempt: the status and the whole body as text (an invalid url throws ERR_INVALID_URL). */
  async send(req: HttpRequest): Promise<{status: number; text: string}> {
    const res = await (await this.open()).request({
      path: req.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      // The whole attempt, headers and body. (undici's own headersTimeout and bodyTimeout tick
      // in coarse steps, about a second: a backstop, not the limit.)
      signal: AbortSignal.timeout(this.timeoutMs),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    })
    // Should the body not arrive after the status line, a write may have landed: the caller says so.
    return {status: res.statusCode, text: await res.body.text()}
  }

  private async open(): Promise<Pool> {
    if (!this.pool) {
      const origin = new URL(this.url).origin
      const {Pool} = await import('undici')
      this.pool ??= new Pool(origin, {connections: this.connections, connect: {timeout: this.timeoutMs}})
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
