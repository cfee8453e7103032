/**
 * The `filter` query parameter of the list endpoints: one SCIM-style comparison `attribute op
 * "value"`. Connect documents `name eq "…"` for vaults and `title eq "…"` / `tag eq "…"` for
 * items (developer.1password.com/docs/connect/api-reference); both official SDKs filter vaults
 * with `title eq "…"` (connect-sdk-js `getVaultByTitle`, connect-sdk-go `GetVaultsByTitle`), and
 * the JavaScript SDK searches items with `title co "…"`, so `title` is a vault's name and `co`
 * (contains) is accepted. Anything else is a 400.
 *
 * The value runs from the first `"` to the last one, with `\"` and `\\` unescaped: the
 * JavaScript SDK does not escape quotes inside a title, and this way such a title still matches.
 * Attribute and operator names are case-insensitive (SCIM); values compare case-sensitively
 * (the SDKs promise an exact match on title).
 */
import {errors} from './responses.js'

export interface Filter {
  attribute: string
  op: 'eq' | 'co'
  value: string
}

/** Parses a filter; `allowed` lists the attributes this collection can be filtered by (lower-case). */
export function parseFilter(text: string, allowed: readonly string[]): Filter {
  const match = /^\s*([A-Za-z][A-Za-z0-9_.]*)\s+([A-Za-z]{2})\s+"(.*)"\s*$/s.exec(text)
  if (!match) throw errors.badRequest(`Invalid filter ${JSON.stringify(text)}: expected attribute eq "value"`)
  const attribute = match[1]!.toLowerCase()
  const op = match[2]!.toLowerCase()
  if (!allowed.includes(attribute)) {
    throw errors.badRequest(`Invalid filter ${JSON.stringify(text)}: cannot filter by ${match[1]} (only ${allowed.join(', ')})`)
  }
  if (op !== 'eq' && op !== 'co') throw errors.badRequest(`Invalid filter ${JSON.stringify(text)}: unsupported operator ${match[2]}`)
  const value = match[3]!.replace(/\\(["\\])/g, '$1')
  return {attribute, op, value}
}

/** Whether a string attribute satisfies the comparison. */
export function compare(filter: Filter, actual: string): boolean {
  return filter.op === 'eq' ? actual === filter.value : actual.includes(filter.value)
}
