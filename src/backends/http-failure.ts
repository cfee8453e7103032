/**
 * What a failed HTTP attempt (undici) means, for every kind that talks HTTP: a reason safe to
 * show, a code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET for "other side closed") or a timeout,
 * never the library's own message text (it can quote a header's value, which could be a token),
 * and whether another attempt may help.
 */

/** Characters an HTTP header value can carry; a token outside them is refused before sending (undici would echo it in its error). */
export const HEADER_SAFE = /^[\x21-\x7e]+$/

/** Connection codes worth another attempt: refused, reset, closed, DNS blips, timeouts. */
const RETRYABLE_CODES = /^(E[A-Z]+|UND_ERR_(SOCKET|CLOSED|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT))$/

const CODE_WORDS: Record<string, string> = {
  UND_ERR_SOCKET: 'connection closed (UND_ERR_SOCKET)',
  UND_ERR_CLOSED: 'connection closed (UND_ERR_CLOSED)',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
}

/** Connection failures that mean the request never reached the server. */
export const NEVER_SENT = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|the url is not valid)$/

export interface TransportReason {
  reason: string
  retryable: boolean
}

/** undici's failure (or an abort by the attempt's timeout) as a safe reason. */
export function transportReason(err: unknown, timeoutMs: number): TransportReason {
  const e = err as {name?: string} | undefined
  if (e?.name === 'TimeoutError') return {reason: `no answer within ${timeoutMs} ms`, retryable: true}
  const code = codeOf(err)
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return {reason: `no answer within ${timeoutMs} ms`, retryable: true}
  if (code === 'ERR_INVALID_URL' || code === 'UND_ERR_INVALID_ARG') return {reason: 'the url is not valid', retryable: false}
  if (code && RETRYABLE_CODES.test(code)) return {reason: CODE_WORDS[code] ?? code, retryable: true}
  if (code) return {reason: code, retryable: false}
  return {reason: `the request failed (${e?.name ?? 'unknown error'})`, retryable: false}
}

/** The first `code` along an error's cause chain. */
function codeOf(err: unknown): string | undefined {
  let e = err as {code?: unknown; cause?: unknown} | undefined
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') return e.code
    e = e.cause as typeof e
  }
  return undefined
}
