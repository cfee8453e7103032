/** Shared helpers for the 1Password Connect test-server suites: JSON requests over fetch. */
import type {OnePasswordServer} from '../../support/onepassword/index.js'

export interface ApiResponse {
  status: number
  headers: Headers
  text: string
  /** Parsed JSON body, or undefined when empty or not JSON. */
  json: any
}

export interface ApiOptions {
  /** The bearer token (default: the server's all-vault token); null sends no Authorization header. */
  token?: string | null
  body?: unknown
  headers?: Record<string, string>
}

/** A request to the server (`path` as sent, e.g. `/v1/vaults`), with the server's token unless told otherwise. */
export async function api(op: OnePasswordServer, method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {...(opts.headers ?? {})}
  const token = opts.token === undefined ? op.token : opts.token
  if (token !== null) headers.Authorization = `Bearer ${token}`
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(`${op.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  })
  const text = await res.text()
  let json: any
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return {status: res.status, headers: res.headers, text, json}
}

/** `?filter=…` for a SCIM filter, encoded. */
export function filter(expr: string): string {
  return `?filter=${encodeURIComponent(expr)}`
}
