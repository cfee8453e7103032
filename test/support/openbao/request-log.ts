/**
 * The request log tests assert on: one entry per request to `/v1/…` (test-control requests are
 * not logged), with method, path, query, namespace, the token's accessor (never the token), the
 * status, the clock's timestamp, which fault (if any) shaped the reply, and whether the request
 * read secret values — a KV data read — so a test can assert that a plan read no value.
 */

export interface RequestLogEntry {
  /** 1, 2, … in arrival order. */
  seq: number
  /** The server clock at arrival (ms since the epoch). */
  timestamp: number
  /** The same instant as an ISO string. */
  time: string
  method: string
  /** The URL path as sent, e.g. `/v1/secret/data/app`. */
  path: string
  /** Query parameters (last value wins for repeated keys). */
  query: Record<string, string>
  /** The resolved namespace path (`''` for root, `team-a/` …); the header value when it did not resolve. */
  namespace: string
  /** The namespace-relative logical path, e.g. `secret/data/app` (list paths end with `/`). */
  logicalPath: string
  /** OpenBao's operation (`read`, `list`, `create`, `update`, `patch`, `delete`), null when none was decided. */
  operation: string | null
  /** The accessor of the token presented (even if it was refused), or null when none or unknown. */
  tokenAccessor: string | null
  /** Whether a token was presented at all. */
  tokenPresented: boolean
  /** The mount that served the request (`secret/`), if any. */
  mount: string | null
  /** HTTP status sent; 0 when the connection was dropped before a status line. */
  status: number
  /** The request was a KV secret-data read (`GET …/data/…`, whatever its outcome). */
  readSecretData: boolean
  /** Secret values were actually returned (a data read answered 200). */
  returnedSecretData: boolean
  /** The fault that shaped the reply: `fail`, `drop`, or undefined. Latency alone is in `delayMs`. */
  fault?: 'fail' | 'drop'
  /** Injected latency in ms (0 when none). */
  delayMs: number
  /** The server sealed itself after this request (a `sealAfter` fault). */
  sealedAfter?: boolean
  /** Which TCP connection carried the request (same id = keep-alive reuse). */
  connectionId: number
  requestId: string
  /** Wall-clock handling time in ms (including injected latency). */
  durationMs: number
  /**
   * Where the request's arrival and its completion fall in the server's sequence of such events
   * (one counter for both). Two requests were handled at the same time exactly when their
   * [arrivalTick, doneTick] intervals overlap: concurrency measured without a clock.
   */
  arrivalTick: number
  doneTick: number
}
