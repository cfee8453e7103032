/**
 * The request log tests assert on: one entry per API request (test-control requests are not
 * logged), with method, path, query, the Kubernetes verb/resource/namespace/name, the user the
 * token belongs to (never the token), the status and Status reason, which fault shaped the
 * reply, and whether the request read Secret values — so a test can assert that a plan read no
 * value. Request and response bodies are never kept.
 */

export interface RequestLogEntry {
  /** 1, 2, … in arrival order. */
  seq: number
  /** The server clock at arrival (ms since the epoch), and the same instant as an ISO string. */
  timestamp: number
  time: string
  method: string
  /** The URL path, e.g. `/api/v1/namespaces/app/secrets/db`. */
  path: string
  /** Query parameters (last value wins for repeated keys). */
  query: Record<string, string>
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`; null for discovery and unknown paths. */
  verb: string | null
  /** `secrets` or `namespaces`; null for non-resource paths. */
  resource: string | null
  namespace: string
  name: string
  /** The PATCH body type (`application/merge-patch+json`, …), when a PATCH. */
  patchType?: string
  /** The user the bearer token belongs to, or null when none was sent or it is unknown. */
  user: string | null
  tokenPresented: boolean
  /** HTTP status sent; 0 when the connection was dropped before a status line. */
  status: number
  /** The Status `reason` of an error reply (`NotFound`, `Conflict`, `Forbidden`, …). */
  reason?: string
  /** The request was a get/list/watch of Secrets (whatever its outcome). */
  readSecretData: boolean
  /** Secret values were returned (a 200 carrying `data`). */
  returnedSecretData: boolean
  /** The fault that shaped the reply: `fail`, `drop`, or undefined. Latency alone is in `delayMs`. */
  fault?: 'fail' | 'drop'
  delayMs: number
  /** Which TCP connection carried the request (same id = keep-alive reuse). */
  connectionId: number
  /** The `Audit-Id` header sent back. */
  auditId: string
  /** The client's User-Agent (kubectl sends `kubectl/v1.32…`). */
  userAgent: string
  /** Wall-clock handling time in ms (including injected latency), up to the moment the answer is written. */
  durationMs: number
  /**
   * When handling began, in ms since the epoch to the microsecond, on durationMs's clock: [startedMs,
   * startedMs + durationMs] is inside the time the client waited (`timestamp` is whole milliseconds,
   * of the injectable clock, and cannot bound overlaps).
   */
  startedMs: number
}
