/**
 * The `Status` objects the Kubernetes API server answers errors with (metav1.Status in
 * k8s.io/apimachinery `pkg/apis/meta/v1/types.go`, built as `pkg/api/errors/errors.go` builds
 * them): same field order, reasons, codes, `details` and message texts, so clients that switch on
 * `reason` (kubectl, client-go, secretctl's driver) read them as they would a real cluster's.
 */

/** `details.causes[]` of a Status. */
export interface StatusCause {
  reason?: string
  message?: string
  field?: string
}

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  uid?: string
  causes?: StatusCause[]
  retryAfterSeconds?: number
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Success' | 'Failure'
  message?: string
  reason?: string
  details?: StatusDetails
  /** Left out of a Success status, as the server does. */
  code?: number
}

/** An error that becomes a Status reply. */
export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? 'error')
  }
  get code(): number {
    return this.status.code ?? 500
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): StatusError {
  // The server's field order: kind, apiVersion, metadata, status, message, reason, details, code.
  const status: Status = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason}
  if (details) status.details = details
  status.code = code
  return new StatusError(status)
}

/** `secrets`, `namespaces` (group "" is left out, as GroupResource.String() does). */
export interface GroupResource {
  group: string
  resource: string
}

function grString(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource
}

function grDetails(gr: GroupResource, name: string): StatusDetails {
  const details: StatusDetails = {}
  if (name) details.name = name
  if (gr.group) details.group = gr.group
  details.kind = gr.resource
  return details
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return failure(404, 'NotFound', `${grString(gr)} ${JSON.stringify(name)} not found`, grDetails(gr, name))
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return failure(409, 'AlreadyExists', `${grString(gr)} ${JSON.stringify(name)} already exists`, grDetails(gr, name))
}

export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again'

export function conflict(gr: GroupResource, name: string, why: string = OBJECT_MODIFIED): StatusError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${grString(gr)} ${JSON.stringify(name)}: ${why}`, grDetails(gr, name))
}

/** 403 as the authorizer writes it (responsewriters.ForbiddenStatusError → errors.NewForbidden). */
export function forbidden(gr: GroupResource, name: string, why: string): StatusError {
  const message = name ? `${grString(gr)} ${JSON.stringify(name)} is forbidden: ${why}` : `${grString(gr)} is forbidden: ${why}`
  return failure(403, 'Forbidden', message, grDetails(gr, name))
}

/** 403 for a non-resource path (`/version`, `/api`, …). */
export function forbiddenPath(why: string): StatusError {
  return failure(403, 'Forbidden', `forbidden: ${why}`, {})
}

export function unauthorized(): StatusError {
  return failure(401, 'Unauthorized', 'Unauthorized')
}

export function badRequest(message: string): StatusError {
  return failure(400, 'BadRequest', message)
}

export function methodNotSupported(gr: GroupResource, action: string): StatusError {
  const details: StatusDetails = {}
  if (gr.group) details.group = gr.group
  details.kind = gr.resource
  return failure(405, 'MethodNotAllowed', `${action} is not supported on resources of kind ${JSON.stringify(grString(gr))}`, details)
}

export function unsupportedMediaType(contentType: string): StatusError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${contentType}`,
  )
}

export function notAcceptable(message: string): StatusError {
  return failure(406, 'NotAcceptable', message)
}

/** The generic 404 for a path no API serves. */
export function pageNotFound(): StatusError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {})
}

export function tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return failure(429, 'TooManyRequests', message, {retryAfterSeconds})
}

export function internalError(message: string): StatusError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, {causes: [{message}]})
}

export function resourceExpired(message: string): StatusError {
  return failure(410, 'Expired', message)
}

export function timeout(message: string, retryAfterSeconds: number, causes?: StatusCause[]): StatusError {
  const details: StatusDetails = {}
  if (causes) details.causes = causes
  details.retryAfterSeconds = retryAfterSeconds
  return failure(504, 'Timeout', `Timeout: ${message}`, details)
}

/** One field error (k8s.io/apimachinery/pkg/util/validation/field). */
export interface FieldError {
  type:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueForbidden'
    | 'FieldValueTooLong'
    | 'FieldValueNotSupported'
    | 'FieldValueDuplicate'
  field: string
  /** The bad value, shown for Invalid/NotSupported/Duplicate (a string is quoted). */
  value?: unknown
  detail?: string
}

const TYPE_TEXT: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
}

/** field.Error.ErrorBody(): the message without the field name. */
export function errorBody(e: FieldError): string {
  let s = TYPE_TEXT[e.type]
  if (e.type === 'FieldValueInvalid' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueDuplicate') {
    const v = e.value
    if (v === null || v === undefined) s += ': null'
    else if (typeof v === 'string') s += `: ${JSON.stringify(v)}`
    else if (typeof v === 'number' || typeof v === 'boolean') s += `: ${v}`
    else s += `: ${JSON.stringify(v)}`
  }
  if (e.detail) s += `: ${e.detail}`
  return s
}

/** 422 Invalid: `Secret "x" is invalid: <field>: <body>` (several errors in brackets), one cause per error. */
export function invalid(kind: string, name: string, errors: FieldError[]): StatusError {
  const seen = new Set<string>()
  const messages: string[] = []
  for (const e of errors) {
    const text = `${e.field}: ${errorBody(e)}`
    if (seen.has(text)) continue
    seen.add(text)
    messages.push(text)
  }
  const aggregate = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`
  const message =
    messages.length === 0 ? `${kind} ${JSON.stringify(name)} is invalid` : `${kind} ${JSON.stringify(name)} is invalid: ${aggregate}`
  const details: StatusDetails = {}
  if (name) details.name = name
  details.kind = kind
  details.causes = errors.map((e) => ({reason: e.type, message: errorBody(e), field: e.field}))
  return failure(422, 'Invalid', message, details)
}

/** A Success Status (DELETE of a Secret answers this). */
export function success(details: StatusDetails): Status {
  return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details}
}
