/**
 * Masks the credentials in a connection URL so it can be shown in messages, `describe` output and
 * the state's `location`. Passwords become `***`; the user, host, port and database stay readable.
 */

const MASK = '***'
/** Query parameters that carry a credential in libpq-style URLs. */
const SECRET_PARAMS = /^(password|pass|passwd|secret|token|sslpassword)$/i

/** `postgres://user:pw@host:5432/db` → `postgres://user:***@host:5432/db`. Non-URLs are masked by pattern. */
export function redactUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return redactByPattern(url)
  }
  if (!parsed.host) return redactByPattern(url)
  if (parsed.password) parsed.password = MASK
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMS.test(key)) parsed.searchParams.set(key, MASK)
  }
  // URLSearchParams percent-encodes the mask; show it as typed.
  return parsed.toString().replace(/%2A%2A%2A/gi, MASK)
}

/** Fallback for strings `URL` cannot parse: `//user:pw@` and `password=...` (libpq keyword form). */
function redactByPattern(text: string): string {
  return text
    .replace(/(\/\/[^:/@\s]*):[^@\s]*@/g, `$1:${MASK}@`)
    .replace(/\b(password|pass|passwd|secret|token|sslpassword)=('[^']*'|[^\s&]*)/gi, `$1=${MASK}`)
}
