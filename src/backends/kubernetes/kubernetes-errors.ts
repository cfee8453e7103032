/**
 * What the Kubernetes API server's answers mean, in the user's terms: a 401 is the credential
 * (and which one), a 403 names the verb, the resource and the namespace and is never "missing", a
 * 404 on a create is the namespace, a 422 says which field, a conflict is a check-and-set
 * failure reported like every kind's. The server's own Status text is kept (it names users, objects
 * and fields, never a value); whatever it says is scrubbed of the values of the write anyway.
 */
import {BackendError} from '../../errors.js'

/** One answer of the API server: status, the parsed JSON body (null when none), headers. */
export interface KubeResponse {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: JSON of many shapes (a Secret, a list, a Status), read defensively
  body: any
  headers: Record<string, string | string[] | undefined>
}

/** The facts messages name. */
export interface ErrorScope {
  backend: string
  server: string
  namespace: string
  /** How the credential is given and what to do when it is refused (from the connection). */
  credential?: {describe: string; hint: string}
}

/** What the driver was doing: the Kubernetes verb, and the object in words (`Secret staging/db`). */
export interface Attempted {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete'
  /** `Secret staging/db`, `Secrets in namespace staging`. */
  object: string
}

/** A Status body's message, or a word about what came instead. */
export function statusMessage(r: KubeResponse): string {
  const m = r.body?.message
  if (typeof m === 'string' && m) return m
  return r.body === null ? 'no body' : `a non-Status answer`
}

/** The Status reason (`NotFound`, `AlreadyExists`, `Conflict`, …). */
export function statusReason(r: KubeResponse): string | undefined {
  return typeof r.body?.reason === 'string' ? r.body.reason : undefined
}

/** A 404 whose Status is about a namespace (a create in a namespace that does not exist). */
export function isMissingNamespace(r: KubeResponse): boolean {
  return r.status === 404 && r.body?.details?.kind === 'namespaces'
}

/** Replaces every value of the write (and its base64) in a server text: no value ever reaches a message. */
export function scrub(text: string, values: readonly string[] = []): string {
  let out = text
  for (const v of values) {
    if (v.length < 4) continue
    for (const form of [v, Buffer.from(v, 'utf8').toString('base64')]) out = out.split(form).join('(redacted)')
  }
  return out
}

export function unauthorizedError(s: ErrorScope): BackendError {
  return new BackendError(
    s.backend,
    `the Kubernetes API server at ${s.server} refused ${s.credential?.describe ?? 'the credentials'} (401 Unauthorized: unknown or expired)`,
    {status: 401, hint: s.credential?.hint},
  )
}

export function forbiddenError(s: ErrorScope, a: Attempted, r: KubeResponse): BackendError {
  return new BackendError(s.backend, `forbidden to ${a.verb} secrets in namespace ${s.namespace} (${a.object}): ${statusMessage(r)}`, {
    status: 403,
    forbidden: true,
    hint: `\`secretctl rbac print --role applier --backend ${s.backend}\` prints the Role and RoleBinding secretctl needs`,
  })
}

export function missingNamespaceError(s: ErrorScope): BackendError {
  return new BackendError(s.backend, `the namespace ${s.namespace} does not exist on the Kubernetes API server at ${s.server}`, {
    status: 404,
    hint: `create it (kubectl create namespace ${s.namespace}), or set config.namespace on the backend`,
  })
}

export function unreachableError(s: Pick<ErrorScope, 'backend' | 'server'>, reason: string): BackendError {
  return new BackendError(s.backend, `cannot reach the Kubernetes API server at ${s.server}: ${reason}`, {
    hint: 'check the server (the kubeconfig context, or config.server) and that the cluster is up',
  })
}

export function casMismatchError(s: ErrorScope, object: string, expected: string | null): BackendError {
  const what =
    expected === null
      ? 'exists already, although secretctl expected to create it'
      : `changed on the server since secretctl last wrote it (check-and-set expected resourceVersion ${expected})`
  return new BackendError(s.backend, `${object} ${what}; run secretctl plan to see the drift`, {status: 409, casMismatch: true})
}

export function notOwnedError(s: ErrorScope, object: string, doing: 'overwrite' | 'delete'): BackendError {
  return new BackendError(
    s.backend,
    `${object} exists and secretctl did not create it (no ${'app.kubernetes.io/managed-by'}: secretctl label for this secret); secretctl never ${doing}s it`,
    {
      hint:
        doing === 'overwrite'
          ? 'set adopt: true on the secret to take it over, or give the secret another name (config.nameTemplate)'
          : 'delete it yourself if it is no longer needed',
    },
  )
}

/** The error for any answer the operation did not expect. `values` are the write's, scrubbed from the server's text. */
export function responseError(s: ErrorScope, a: Attempted, r: KubeResponse, values: readonly string[] = []): BackendError {
  if (r.status === 401) return unauthorizedError(s)
  if (r.status === 403) return forbiddenError(s, a, r)
  if (isMissingNamespace(r)) return missingNamespaceError(s)
  const text = scrub(statusMessage(r), values)
  if (r.status === 422) {
    const causes: unknown[] = Array.isArray(r.body?.details?.causes) ? r.body.details.causes : []
    const fields = causes
      .map((c) => c as {field?: unknown; message?: unknown})
      .filter((c) => typeof c.field === 'string')
      .map((c) => `${c.field}: ${scrub(String(c.message ?? 'invalid'), values)}`)
    return new BackendError(
      s.backend,
      `the API server refused ${a.object} as invalid${fields.length ? ` (${fields.join('; ')})` : `: ${text}`}`,
      {
        status: 422,
        hint: "check the backend's type, labels and annotations, and the secret's key names",
      },
    )
  }
  if (r.status === 429)
    return new BackendError(s.backend, `the API server at ${s.server} kept answering 429 Too Many Requests (${a.verb} ${a.object})`, {
      status: 429,
      hint: 'run it again later, or lower --concurrency',
    })
  return new BackendError(s.backend, `${a.verb} ${a.object} answered ${r.status}${statusReason(r) ? ` ${statusReason(r)}` : ''}: ${text}`, {
    status: r.status,
  })
}
