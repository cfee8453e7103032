/**
 * The request log tests assert on: one entry per request to the Connect API (test-control
 * requests are not logged), with method, path, query, the token's id (its `jti` — never the
 * token), the vault, item and item version the request touched, the status, which fault (if any)
 * shaped the reply, and whether field values were read — a full item, a file's content — so a
 * test can assert that a plan read no value. No entry holds a token, a field value or a file's
 * content; request and response bodies are not kept.
 */

export interface RequestLogEntry {
  /** 1, 2, … in arrival order. */
  seq: number
  /** The server clock at arrival (ms since the epoch). */
  timestamp: number
  /** The same instant as an ISO string. */
  time: string
  method: string
  /** The URL path as sent, e.g. `/v1/vaults/…/items`. */
  path: string
  /** Query parameters (last value wins for repeated keys), e.g. `{filter: 'title eq "db"'}`. */
  query: Record<string, string>
  /** The route that served it (`GET /v1/vaults/{vaultUuid}/items`), null for an unknown path. */
  route: string | null
  /** Connect's activity action: READ, CREATE, UPDATE, DELETE; null for health, heartbeat and metrics. */
  action: 'READ' | 'CREATE' | 'UPDATE' | 'DELETE' | null
  /** The id (jti) of the token presented, valid or not; null when none or not one of this server's. */
  tokenId: string | null
  /** Whether an Authorization header was sent at all. */
  tokenPresented: boolean
  vaultId: string | null
  itemId: string | null
  /** The item's version after the request (reads and writes that reached an item). */
  itemVersion: number | null
  /** HTTP status sent; 0 when the connection was dropped before a status line. */
  status: number
  /** The request asks for field values or file content (a full item, a write answering with one, a file's content), whatever its outcome. */
  readsValues: boolean
  /** Values were actually sent: such a request answered 2xx and was not cut short. */
  returnedValues: boolean
  /** The fault that shaped the reply: `fail`, `drop`, or undefined. Latency alone is in `delayMs`. */
  fault?: 'fail' | 'drop'
  /** Injected latency in ms (0 when none). */
  delayMs: number
  /** Which TCP connection carried the request (same id = keep-alive reuse). */
  connectionId: number
  /** The request's id (the activity API's `requestId`). */
  requestId: string
  userAgent: string
  /** Wall-clock handling time in ms (including injected latency). */
  durationMs: number
}
