/**
 * What a handler returns (an `Outcome`) and how it becomes an HTTP reply, following OpenBao's
 * `http/logical.go` and `sdk/logical/response_util.go`: the success envelope, 204 for an empty
 * result, 404 `{"errors":[]}` for a read or list that found nothing, `{"errors":[...]}` bodies,
 * raw responses with their own status (`RespondWithStatusCode`), `Content-Type: application/json`
 * and Go's JSON encoding (sorted map keys, HTML-safe escapes, trailing newline from json.Encoder).
 */

export type Operation = 'read' | 'list' | 'create' | 'update' | 'delete' | 'patch' | 'scan' | 'header'

/** The `auth` block of a response (OpenBao's `logical.HTTPAuth`). */
export interface HttpAuth {
  client_token: string
  accessor: string
  policies: string[] | null
  token_policies?: string[]
  metadata: Record<string, string> | null
  lease_duration: number
  renewable: boolean
  entity_id: string
  token_type: string
  orphan: boolean
  mfa_requirement: null
  num_uses: number
}

/** A logical response: what a backend hands back before the HTTP layer shapes it. */
export interface LogicalResponse {
  data?: Record<string, unknown> | null
  warnings?: string[]
  auth?: HttpAuth | null
}

export type Outcome =
  /** A normal backend answer; `null` means "nothing" (404 on read/list, 204 otherwise). */
  | {kind: 'response'; response: LogicalResponse | null; injectTopLevel?: boolean}
  /** An error with its status; `errors` may be empty (`{"errors":[]}`). */
  | {kind: 'error'; status: number; errors: string[]}
  /** `logical.RespondWithStatusCode`: a success-shaped body (or none) under another status. */
  | {kind: 'raw'; status: number; response: LogicalResponse | null}
  /** A body written as is (sys/health, seal status); `null` body means 204. */
  | {kind: 'plain'; status: number; body: unknown}

export interface HttpReply {
  status: number
  headers: [string, string][]
  body: Buffer | null
}

/** The error text for a refusal by policy of a valid token (a one-element go-multierror). */
export const MULTI_PERMISSION_DENIED = multiError('permission denied')
/** The error text for a missing, unknown, expired or revoked token. */
export const PERMISSION_DENIED = 'permission denied'
export const SEALED = 'Vault is sealed'

/** go-multierror's text for one error: `1 error occurred:\n\t* <msg>\n\n`. */
export function multiError(message: string): string {
  return `1 error occurred:\n\t* ${message}\n\n`
}

export function ok(response: LogicalResponse | null, injectTopLevel = false): Outcome {
  return {kind: 'response', response, injectTopLevel}
}

export function fail(status: number, ...errors: string[]): Outcome {
  return {kind: 'error', status, errors}
}

export function raw(status: number, response: LogicalResponse | null): Outcome {
  return {kind: 'raw', status, response}
}

export function plain(status: number, body: unknown): Outcome {
  return {kind: 'plain', status, body}
}

const structs = new WeakSet<object>()

/** Marks `value` as a Go struct: its keys keep their order when encoded (maps are sorted). */
export function goStruct<T extends object>(value: T): T {
  structs.add(value)
  return value
}

function sortForGo(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortForGo)
  if (value && typeof value === 'object') {
    const source = value as Record<string, unknown>
    const keys = structs.has(source) ? Object.keys(source) : Object.keys(source).sort()
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      if (source[key] !== undefined) out[key] = sortForGo(source[key])
    }
    return out
  }
  return value
}

/** JSON as Go's encoding/json writes it: sorted map keys, `<>&` and U+2028/2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(sortForGo(value))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** The success envelope (`logical.HTTPResponse`) in its field order. */
export function envelope(requestId: string, response: LogicalResponse): Record<string, unknown> {
  return goStruct({
    request_id: requestId,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: response.data ?? null,
    wrap_info: null,
    warnings: response.warnings && response.warnings.length > 0 ? response.warnings : null,
    auth: response.auth ? goStruct({...response.auth}) : null,
  })
}

function jsonReply(status: number, text: string | null): HttpReply {
  return {
    status,
    headers: [['Content-Type', 'application/json']],
    body: text === null ? null : Buffer.from(text, 'utf8'),
  }
}

/** `logical.RespondError`: `{"errors":[...]}` plus json.Encoder's newline. */
export function errorReply(status: number, errors: string[]): HttpReply {
  return jsonReply(status, `${goJson({errors})}\n`)
}

function isEmptyResponse(response: LogicalResponse): boolean {
  return (
    !response.auth && (!response.warnings || response.warnings.length === 0) && (!response.data || Object.keys(response.data).length === 0)
  )
}

/**
 * Turns an outcome into the HTTP reply OpenBao would send for operation `op`, mirroring
 * `RespondErrorCommon` (404 for empty reads/lists) and `respondOk` (204 when there is no body).
 */
export function toHttpReply(op: Operation | null, requestId: string, outcome: Outcome): HttpReply {
  switch (outcome.kind) {
    case 'error':
      return errorReply(outcome.status, outcome.errors)
    case 'plain':
      return jsonReply(outcome.status, outcome.body === null ? null : `${goJson(outcome.body)}\n`)
    case 'raw':
      return jsonReply(outcome.status, outcome.response ? goJson(envelope(requestId, outcome.response)) : null)
    case 'response': {
      const response = outcome.response
      if (op === 'read' || op === 'header') {
        if (!response) return errorReply(404, [])
      }
      if (op === 'list') {
        if (!response) return errorReply(404, [])
        const data = response.data ?? {}
        const hasWarnings = (response.warnings?.length ?? 0) > 0
        if (Object.keys(data).length === 0 && !hasWarnings) return errorReply(404, [])
        const keys = data.keys
        if (keys === undefined || keys === null) {
          if (Object.keys(data).length === 0 && !hasWarnings) return errorReply(404, [])
        } else if (Array.isArray(keys) && keys.length === 0) return errorReply(404, [])
      }
      if (!response || (op !== 'read' && op !== 'list' && isEmptyResponse(response) && !response.data)) {
        return jsonReply(204, null)
      }
      const body = envelope(requestId, response)
      if (outcome.injectTopLevel && response.data && Object.keys(response.data).length > 0) {
        // HTTPSysInjector: every data key is also written at the top level, ahead of the envelope.
        const merged: Record<string, unknown> = {}
        for (const [key, value] of Object.entries(response.data)) merged[key] = value
        for (const [key, value] of Object.entries(body)) merged[key] = value
        return jsonReply(200, `${goJson(goStruct(merged))}\n`)
      }
      return jsonReply(200, `${goJson(body)}\n`)
    }
  }
}
