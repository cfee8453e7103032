/**
 * What OpenBao's answers mean, and the BackendErrors they become. Messages carry the backend,
 * the operation, the method, the path, the status and the server's own error text only: never a
 * token, never a value (OpenBao's error text for KV calls holds neither).
 */
import {BackendError} from '../../errors.js'

/** One answer from OpenBao: the status and the parsed JSON body (null when there was none). */
export interface BaoResponse {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: JSON of many shapes, always read defensively with optional chaining
  body: any
}

/** The server's error texts, joined: what OpenBao said, never what was sent. */
export function errorsOf(body: BaoResponse['body']): string {
  const errors: unknown[] = Array.isArray(body?.errors) ? body.errors : []
  const texts = errors
    .filter((e): e is string => typeof e === 'string')
    .map(tidyServerText)
    .filter(Boolean)
  return texts.length ? texts.join('; ') : 'no error text'
}

/** go-multierror's `1 error occurred:\n\t* permission denied\n\n` → `permission denied`. */
function tidyServerText(text: string): string {
  const bullets = [...text.matchAll(/^\s*\*\s*(.+)$/gm)].map((m) => m[1]!.trim())
  return /^\d+ errors? occurred:/.test(text) && bullets.length ? bullets.join('; ') : text.trim()
}

/** 503 "Vault is sealed": a state of the server, not a blip, so never retried. */
export function isSealed(r: BaoResponse): boolean {
  return r.status === 503 && Array.isArray(r.body?.errors) && r.body.errors.some((e: unknown) => typeof e === 'string' && /sealed/i.test(e))
}

/**
 * A 404 that means "nothing there": `{"errors":[]}`, or KV v2's success body for a soft-deleted
 * or destroyed version (`data.data` null). Any other 404 (an unknown mount's `no handler for
 * route`, `namespace not found`) is an error, never "missing".
 */
export function isMissing(r: BaoResponse): boolean {
  if (r.status !== 404 || r.body === null || typeof r.body !== 'object') return false
  if (Array.isArray(r.body.errors)) return r.body.errors.length === 0
  return 'data' in r.body
}

/** A valid token the policy refuses gets go-multierror's text; no, an unknown, expired or revoked token gets a bare `permission denied`. */
function tokenRefused(r: BaoResponse): boolean {
  return Array.isArray(r.body?.errors) && r.body.errors.length === 1 && r.body.errors[0] === 'permission denied'
}

/** The facts about the backend that messages name. */
export interface ErrorScope {
  backend: string
  url: string
  mount: string
}

/** What the driver was doing, as words for a message: `reading metadata at`, `writing`, … */
export interface Attempted {
  operation: string
  method: string
  /** The API path after `/v1/`, without a query. */
  path: string
}

export function forbiddenError(s: ErrorScope, a: Attempted, r: BaoResponse): BackendError {
  const why = tokenRefused(r) ? 'the token is unknown, expired or revoked' : "check the token's policy"
  return new BackendError(s.backend, `permission denied ${a.operation} ${a.path} (${why})`, {
    status: 403,
    forbidden: true,
    hint: tokenRefused(r)
      ? `store a valid token on the backend's tokenSecretRef, or set SECRETCTL_BACKEND_TOKEN_<NAME> for this run`
      : `\`secretctl rbac print --role applier --backend ${s.backend}\` prints the policy secretctl needs`,
  })
}

export function sealedError(s: ErrorScope): BackendError {
  return new BackendError(s.backend, `OpenBao at ${s.url} is sealed`, {status: 503, hint: 'unseal it and run the same command again'})
}

export function unreachableError(s: Pick<ErrorScope, 'backend' | 'url'>, reason: string): BackendError {
  return new BackendError(s.backend, `cannot reach OpenBao at ${s.url}: ${reason}`, {
    hint: 'check the url in the backend manifest and that OpenBao is up',
  })
}

export function casMismatchError(s: ErrorScope, path: string, cas: number): BackendError {
  return new BackendError(
    s.backend,
    `the secret at ${path} changed on the server since secretctl last wrote it (check-and-set expected version ${cas}); run secretctl plan to see the drift`,
    {status: 400, casMismatch: true},
  )
}

/** The error for any answer the operation did not expect: 403, sealed, no such mount or namespace, anything else. */
export function responseError(s: ErrorScope, a: Attempted, r: BaoResponse): BackendError {
  if (r.status === 403) return forbiddenError(s, a, r)
  if (isSealed(r)) return sealedError(s)
  const text = errorsOf(r.body)
  if (r.status === 404 && /no handler for route/.test(text)) {
    return new BackendError(
      s.backend,
      `the mount ${s.mount}/ does not exist on OpenBao at ${s.url} (${a.operation} ${a.path}); enable a KV v2 engine at mount ${s.mount}`,
      {
        status: 404,
        hint: `bao secrets enable -path=${s.mount} kv-v2 (or secretctl bootstrap openbao)`,
      },
    )
  }
  if (r.status === 404 && /namespace not found/.test(text)) {
    return new BackendError(
      s.backend,
      `the namespace in the backend's config does not exist on OpenBao at ${s.url} (${a.operation} ${a.path})`,
      {status: 404},
    )
  }
  return new BackendError(s.backend, `${a.method} ${a.path} answered ${r.status}: ${text}`, {status: r.status})
}
