/**
 * ACL policy documents, as OpenBao's `vault/policy.go` reads them: `path "<glob>" { capabilities
 * = [...] }` (or the old `policy = "read|write|deny|sudo"`), a leading `/` stripped, `+*`
 * refused, `*` only meaningful as the last character, `+` marking segment wildcards, `deny`
 * replacing every other capability, unknown keys and capabilities refused with OpenBao's messages.
 * Templated paths (`{{identity.…}}`) are skipped: the test server has no identity store.
 */
import {expandItems, HclError, parseHcl, type HclItem, type HclObject, type HclValue} from './hcl.js'

export const CAP = {
  deny: 1 << 0,
  create: 1 << 1,
  read: 1 << 2,
  update: 1 << 3,
  delete: 1 << 4,
  list: 1 << 5,
  sudo: 1 << 6,
  patch: 1 << 7,
  scan: 1 << 8,
} as const

export type Capability = keyof typeof CAP

export interface PathRule {
  /** The path without its trailing `*` when `isPrefix`. */
  path: string
  isPrefix: boolean
  hasSegmentWildcards: boolean
  capabilities: number
}

export interface ParsedPolicy {
  name: string
  raw: string
  paths: PathRule[]
}

export class PolicyParseError extends Error {}

const TOP_KEYS = ['name', 'path']
const PATH_KEYS = [
  'comment',
  'policy',
  'capabilities',
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
  'mfa_methods',
  'pagination_limit',
  'expiration',
  'list_scan_response_keys_filter_path',
  'control_group',
]

function checkKeys(obj: HclObject, valid: string[]): void {
  for (const item of obj.items) {
    const key = item.keys[0]!
    if (!valid.includes(key)) throw new PolicyParseError(`invalid key ${JSON.stringify(key)} on line ${item.line}`)
  }
}

function asStringList(value: HclValue, what: string): string[] {
  const list = Array.isArray(value) ? value : [value]
  return list.map((v) => {
    if (typeof v === 'string') return v
    if (typeof v === 'number' || typeof v === 'boolean') return String(v)
    throw new PolicyParseError(`${what}: expected a list of strings`)
  })
}

function pathBody(item: HclItem): HclObject {
  const value = item.value
  if (typeof value === 'object' && !Array.isArray(value)) return value
  if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object' && !Array.isArray(value[0])) {
    return {kind: 'object', items: value.flatMap((v) => (typeof v === 'object' && !Array.isArray(v) ? v.items : []))}
  }
  throw new PolicyParseError(`path ${JSON.stringify(item.keys[1] ?? '')}: expected an object`)
}

/**
 * Parses policy text into path rules. Throws `PolicyParseError` whose message is what OpenBao
 * puts after `failed to parse policy: `.
 */
export function parsePolicy(name: string, raw: string, now: number = Date.now()): ParsedPolicy {
  let root: HclObject
  try {
    root = parseHcl(raw)
  } catch (err) {
    if (err instanceof HclError) throw new PolicyParseError(err.message)
    throw err
  }
  checkKeys(root, TOP_KEYS)
  const paths: PathRule[] = []
  for (const item of expandItems(root, 'path')) {
    let key = item.keys[1] ?? 'path'
    const body = pathBody(item)
    try {
      checkKeys(body, PATH_KEYS)
    } catch (err) {
      throw new PolicyParseError(`path ${JSON.stringify(key)}: ${(err as Error).message}`)
    }
    if (key.includes('{{')) continue
    let capabilities: string[] = []
    let oldPolicy = ''
    let expiration = ''
    for (const field of body.items) {
      const fieldKey = field.keys[0]!
      if (fieldKey === 'capabilities') capabilities = capabilities.concat(asStringList(field.value, `path ${JSON.stringify(key)}`))
      else if (fieldKey === 'policy') oldPolicy = String(field.value)
      else if (fieldKey === 'expiration') expiration = String(field.value)
    }
    if (expiration) {
      const at = Date.parse(expiration)
      if (Number.isNaN(at)) throw new PolicyParseError(`path ${JSON.stringify(key)}: invalid expiration time: ${expiration}`)
      if (now > at) continue
    }
    if (key.startsWith('/')) key = key.slice(1)
    if (key.includes('+*')) throw new PolicyParseError(`path ${JSON.stringify(key)}: invalid use of wildcards ('+*' is forbidden)`)
    const hasSegmentWildcards = key === '+' || key.includes('/+') || key.startsWith('+/')
    let isPrefix = false
    if (key.endsWith('*') && !hasSegmentWildcards) {
      key = key.slice(0, -1)
      isPrefix = true
    }
    if (oldPolicy) {
      switch (oldPolicy) {
        case 'deny':
          capabilities = ['deny']
          break
        case 'read':
          capabilities = capabilities.concat(['read', 'list'])
          break
        case 'write':
          capabilities = capabilities.concat(['create', 'read', 'update', 'delete', 'list'])
          break
        case 'sudo':
          capabilities = capabilities.concat(['create', 'read', 'update', 'delete', 'list', 'sudo'])
          break
        default:
          throw new PolicyParseError(`path ${JSON.stringify(item.keys[1] ?? '')}: invalid policy ${JSON.stringify(oldPolicy)}`)
      }
    }
    let bits = 0
    for (const cap of capabilities) {
      if (cap === 'deny') {
        bits = CAP.deny
        break
      }
      const bit = (CAP as Record<string, number>)[cap]
      if (bit === undefined)
        throw new PolicyParseError(`path ${JSON.stringify(item.keys[1] ?? '')}: invalid capability ${JSON.stringify(cap)}`)
      bits |= bit
    }
    paths.push({path: key, isPrefix, hasSegmentWildcards, capabilities: bits})
  }
  return {name, raw, paths}
}

/** The capability names in `bits`, in OpenBao's `Capabilities()` order. */
export function capabilityNames(bits: number): string[] {
  if (bits & CAP.deny) return ['deny']
  const order: Capability[] = ['sudo', 'read', 'list', 'update', 'delete', 'create', 'patch', 'scan']
  const out = order.filter((c) => bits & CAP[c])
  return out.length ? out : ['deny']
}

export {HclError}
