/** Shared helpers for the OpenBao test-server suites: JSON requests over fetch, raw socket I/O. */
import net from 'node:net'
import type {OpenBaoTestServer} from '../../support/openbao/index.js'

export interface ApiResponse {
  status: number
  headers: Headers
  text: string
  /** Parsed JSON body, or undefined when empty. */
  json: any
}

export interface ApiOptions {
  token?: string | null
  body?: unknown
  headers?: Record<string, string>
  namespace?: string
}

/** A request to the server (`path` without `/v1/`), with the root token unless `token` says otherwise. */
export async function api(bao: OpenBaoTestServer, method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {...(opts.headers ?? {})}
  const token = opts.token === undefined ? bao.rootToken : opts.token
  if (token) headers['X-Vault-Token'] = token
  if (opts.namespace) headers['X-Vault-Namespace'] = opts.namespace
  const res = await fetch(`${bao.url}/v1/${path.replace(/^\//, '')}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  })
  const text = await res.text()
  return {status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined}
}

/**
 * Sends `raw` bytes on a fresh socket and collects everything until the server closes it (or
 * `untilResponses` responses arrived). `timeoutMs` only stops a hang (what arrived by then is
 * returned): generous, since the server closing is the event waited for.
 */
export function rawExchange(port: number, raw: string | Buffer, opts: {untilResponses?: number; timeoutMs?: number} = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let out = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(out)
    }, opts.timeoutMs ?? 30_000)
    socket.on('connect', () => socket.write(raw))
    socket.on('data', (d) => {
      out += d.toString('utf8')
      if (opts.untilResponses && countResponses(out) >= opts.untilResponses) {
        clearTimeout(timer)
        socket.destroy()
        resolve(out)
      }
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(out)
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

/** Counts complete HTTP responses (status line + Content-Length body) in `text`. */
export function countResponses(text: string): number {
  return splitResponses(text).length
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Splits a stream of HTTP/1.1 responses (Content-Length framed) into parts. */
export function splitResponses(text: string): RawResponse[] {
  const out: RawResponse[] = []
  let rest = text
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) return out
    const head = rest.slice(0, end).split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0)
    const headers: Record<string, string> = {}
    for (const line of head.slice(1)) {
      const i = line.indexOf(':')
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    const bodyStart = end + 4
    if (Buffer.byteLength(rest.slice(bodyStart)) < length) return out
    const body = Buffer.from(rest.slice(bodyStart)).subarray(0, length).toString('utf8')
    out.push({status, headers, body})
    rest = rest.slice(bodyStart + body.length)
  }
}

/** The 403 body for a valid token the policy refuses. */
export const POLICY_DENIED = {errors: ['1 error occurred:\n\t* permission denied\n\n']}
/** The 403 body for a missing or unknown token. */
export const TOKEN_DENIED = {errors: ['permission denied']}
